/**
 * Configuration from environment variables, validated once at start with a clear message naming
 * the variable and saying, in words, what it expects. Defaults work on one laptop (README
 * "Configuration"). Values that may hold a secret are never echoed (URLs are redacted).
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import type { ApiLimits } from "../api/limits.ts";
import {
  acceptedTokens,
  isToken,
  NAME_RULE,
  type NamedToken,
  parseNamedTokens,
  TOKEN_RULE,
} from "../api/api-tokens.ts";
import { redactUrl } from "../infra/redact-url.ts";
import { firstIssue } from "../engine/shared/index.ts";
import { DURATION_RULE, parseDuration } from "../domain/index.ts";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "./log.ts";

/** A URL that `new URL` can read, with one of these protocols and a host. */
const isUrl =
  (protocols: ReadonlyArray<string>) =>
  (text: string): boolean => {
    try {
      const url = new URL(text);
      return protocols.includes(url.protocol) && url.hostname !== "";
    } catch {
      return false;
    }
  };
const IntString = (min: number, max: number) =>
  Schema.String.check(
    Schema.isPattern(/^[0-9]{1,9}$/),
    Schema.makeFilter(
      (s: string) => (Number(s) >= min && Number(s) <= max) || `must be between ${min} and ${max}`,
    ),
  );

const DurationString = Schema.String.check(
  Schema.makeFilter((s: string) => parseDuration(s) !== null || `must be ${DURATION_RULE}`),
);

const EnvSchema = Schema.Struct({
  REDIS_URL: Schema.optionalKey(Schema.String.check(Schema.makeFilter(isUrl(["redis:", "rediss:"])))),
  DOCKET_DB: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  PORT: Schema.optionalKey(IntString(0, 65535)),
  HOST: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  // Checked below, by rules that never echo a value (a token must not reach a log).
  DOCKET_API_TOKEN: Schema.optionalKey(Schema.String),
  DOCKET_API_TOKENS: Schema.optionalKey(Schema.String),
  DOCKET_API_URL: Schema.optionalKey(Schema.String.check(Schema.makeFilter(isUrl(["http:", "https:"])))),
  DOCKET_PREFIX: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_.-]{1,64}$/))),
  DOCKET_SHARDS: Schema.optionalKey(IntString(1, 1024)),
  DOCKET_LEASE_MS: Schema.optionalKey(IntString(1000, 86_400_000)),
  DOCKET_DATA_DIR: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  // Read-side bounds (README "Limits", ADR 0019).
  DOCKET_SSE_MAX_CLIENTS: Schema.optionalKey(IntString(1, 100_000)),
  DOCKET_SSE_MAX_BUFFER_BYTES: Schema.optionalKey(IntString(1024, 999_999_999)),
  DOCKET_TIME_TRAVEL_MAX_ENTRIES: Schema.optionalKey(IntString(1, 999_999_999)),
  DOCKET_TIME_TRAVEL_CONCURRENCY: Schema.optionalKey(IntString(1, 64)),
  // The archive (ADR 0028, 0029).
  DOCKET_ARCHIVE_DIR: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  DOCKET_ARCHIVE_SEGMENT_ENTRIES: Schema.optionalKey(IntString(1, 1_000_000)),
  DOCKET_ARCHIVE_MAX_AGE_MS: Schema.optionalKey(IntString(10, 86_400_000)),
  DOCKET_ARCHIVE_LEASE_MS: Schema.optionalKey(IntString(1000, 3_600_000)),
  DOCKET_ARCHIVER: Schema.optionalKey(Schema.Literals(["on", "off"])),
  DOCKET_SIGNING_KEY: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  DOCKET_ARCHIVE_TRUSTED_KEYS: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  // Retention: how long finished jobs stay in Redis (ADR 0034).
  DOCKET_RETAIN_COMPLETED: Schema.optionalKey(DurationString),
  DOCKET_RETAIN_DEAD: Schema.optionalKey(DurationString),
  DOCKET_RETAIN_CANCELLED: Schema.optionalKey(DurationString),
  // Logs and metrics (ADR 0030, 0031).
  LOG_LEVEL: Schema.optionalKey(Schema.Literals(LOG_LEVELS)),
  LOG_FORMAT: Schema.optionalKey(Schema.Literals(["json", "text"])),
  DOCKET_METRICS_PORT: Schema.optionalKey(IntString(0, 65535)),
  DOCKET_METRICS_HOST: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
});

export interface DocketEnv {
  readonly redisUrl: string;
  readonly dbPath: string;
  readonly dataDir: string;
  readonly port: number;
  readonly host: string;
  /** DOCKET_API_TOKEN: what the CLI's client commands present as their bearer token. */
  readonly token: string | undefined;
  /** What the API accepts: DOCKET_API_TOKEN as `default` plus DOCKET_API_TOKENS (ADR 0017). */
  readonly apiTokens: ReadonlyArray<NamedToken>;
  readonly apiUrl: string;
  readonly prefix: string;
  readonly shards: number;
  readonly leaseMs: number;
  /** The API's resource bounds that are set (the others keep their defaults). */
  readonly limits: Partial<ApiLimits>;
  readonly logLevel: LogLevel;
  /** LOG_FORMAT; unset: JSON unless stdout is a terminal (log.ts). */
  readonly logFormat: LogFormat | undefined;
  /** Where a worker serves its /metrics (DOCKET_METRICS_PORT; unset: nowhere). */
  readonly metricsPort: number | undefined;
  readonly metricsHost: string;
  readonly archive: ArchiveEnv;
}

/** The archive's settings (README "Configuration"; ADR 0028, 0029). */
export interface ArchiveEnv {
  /** DOCKET_ARCHIVER: does `docket api` (and `start`) run an archiver too. */
  readonly inApi: boolean;
  readonly dir: string;
  readonly segmentEntries: number;
  readonly maxAgeMs: number;
  /** The archiver lease's time to live: how long a stopped archiver's lease blocks a successor. */
  readonly leaseMs: number;
  /** DOCKET_SIGNING_KEY, when set; else the key in the data directory. */
  readonly signingKeyPath: string | undefined;
  readonly dataDir: string;
  /** DOCKET_ARCHIVE_TRUSTED_KEYS: earlier public keys readers still accept (after a rotation). */
  readonly trustedKeyPaths: ReadonlyArray<string>;
  /** DOCKET_RETAIN_COMPLETED, _DEAD, _CANCELLED (ms): how long finished jobs stay in Redis. */
  readonly retention: {
    readonly completedMs: number;
    readonly deadLetterMs: number;
    readonly cancelledMs: number;
  };
}

/**
 * Where this process reads the archive back (ADR 0034): the archiver's directory and key, from
 * the same variables, whether or not this process archives.
 */
export const archiveAccess = (
  env: Pick<DocketEnv, "archive">,
): {
  archiveDir: string;
  dataDir: string;
  signingKeyPath?: string;
  trustedKeyPaths: ReadonlyArray<string>;
} => ({
  archiveDir: env.archive.dir,
  dataDir: env.archive.dataDir,
  ...(env.archive.signingKeyPath === undefined ? {} : { signingKeyPath: env.archive.signingKeyPath }),
  trustedKeyPaths: env.archive.trustedKeyPaths,
});

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

export class ConfigError extends Error {}

/** An empty variable counts as unset (`DOCKET_API_TOKEN=` turns auth off, as before). */
const nonEmpty = (value: string | undefined): string | undefined => (value === "" ? undefined : value);

/**
 * The API's tokens from DOCKET_API_TOKEN and DOCKET_API_TOKENS. Errors name the variable and the
 * entry's position, never a value.
 */
const apiTokensFrom = (single: string | undefined, list: string | undefined): ReadonlyArray<NamedToken> => {
  if (single !== undefined && !isToken(single))
    throw new ConfigError(`invalid DOCKET_API_TOKEN (value not shown): must be ${TOKEN_RULE}`);
  const named = list === undefined ? Result.succeed([]) : parseNamedTokens(list);
  const accepted = Result.flatMap(named, (tokens) => acceptedTokens(single, tokens));
  if (Result.isFailure(accepted))
    throw new ConfigError(
      `invalid DOCKET_API_TOKENS (values not shown): ${accepted.failure}; expected name:token,name2:token2 with names of ${NAME_RULE} and tokens of ${TOKEN_RULE}`,
    );
  return accepted.success;
};

/** What each variable expects, in words (a schema's own message would quote its pattern). */
const EXPECTED: Readonly<Record<string, string>> = {
  REDIS_URL:
    "expected a Redis URL such as redis://127.0.0.1:6379 (redis:// or rediss://, optionally redis://:password@host:port/db)",
  DOCKET_DB: "expected a file path, e.g. ./data/docket.sqlite",
  PORT: "expected a port number from 0 to 65535",
  HOST: "expected a host name or address to listen on, e.g. 127.0.0.1 or 0.0.0.0",
  DOCKET_API_URL: "expected the API's http:// or https:// URL, e.g. http://127.0.0.1:3000",
  DOCKET_PREFIX: "expected 1 to 64 letters, digits, '_', '.' or '-', e.g. docket",
  DOCKET_SHARDS: "expected a whole number from 1 to 1024",
  DOCKET_LEASE_MS: "expected milliseconds, a whole number from 1000 to 86400000",
  DOCKET_DATA_DIR: "expected a directory path, e.g. ./data",
  DOCKET_SSE_MAX_CLIENTS: "expected a whole number of event streams from 1 to 100000",
  DOCKET_SSE_MAX_BUFFER_BYTES: "expected bytes, a whole number from 1024 to 999999999",
  DOCKET_TIME_TRAVEL_MAX_ENTRIES: "expected a whole number of log entries from 1 to 999999999",
  DOCKET_TIME_TRAVEL_CONCURRENCY: "expected a whole number from 1 to 64",
  DOCKET_ARCHIVE_DIR: "expected a directory path, e.g. ./data/archive",
  DOCKET_ARCHIVE_SEGMENT_ENTRIES: "expected a whole number of log entries per segment from 1 to 1000000",
  DOCKET_ARCHIVE_MAX_AGE_MS: "expected milliseconds, a whole number from 10 to 86400000",
  DOCKET_ARCHIVE_LEASE_MS: "expected milliseconds, a whole number from 1000 to 3600000",
  DOCKET_ARCHIVER: "expected on or off",
  DOCKET_ARCHIVE_TRUSTED_KEYS: "expected public key files (PEM), separated by commas",
  DOCKET_RETAIN_COMPLETED: `expected a duration, ${DURATION_RULE}`,
  DOCKET_RETAIN_DEAD: `expected a duration, ${DURATION_RULE}`,
  DOCKET_RETAIN_CANCELLED: `expected a duration, ${DURATION_RULE}`,
  DOCKET_SIGNING_KEY: "expected the path of an Ed25519 private key in PEM (PKCS#8)",
  LOG_LEVEL: `expected one of ${LOG_LEVELS.join(", ")}`,
  LOG_FORMAT: "expected json or text",
  DOCKET_METRICS_PORT: "expected a port number from 0 to 65535",
  DOCKET_METRICS_HOST: "expected a host name or address to listen on, e.g. 127.0.0.1",
};

/** How a refused value is shown: URLs without their credentials, secrets not at all. */
const shown = (field: string, value: string | undefined): string => {
  if (value === undefined) return "";
  if (field.endsWith("_URL")) return `=${JSON.stringify(redactUrl(value))}`;
  if (/TOKEN|PASSWORD|SECRET/.test(field)) return " (value not shown)";
  return `=${JSON.stringify(value)}`;
};

/** Set but empty counts as unset for these (`LOG_FORMAT= docket api` picks the default). */
const EMPTY_IS_UNSET = ["LOG_LEVEL", "LOG_FORMAT", "DOCKET_METRICS_PORT"] as const;

export const readEnv = (given: NodeJS.ProcessEnv = process.env): DocketEnv => {
  const env = { ...given };
  for (const name of EMPTY_IS_UNSET) if (env[name] === "") delete env[name];
  const decoded = Schema.decodeUnknownResult(EnvSchema)(env, { onExcessProperty: "ignore" });
  if (Result.isFailure(decoded)) {
    const { field, message } = firstIssue(decoded.failure);
    throw new ConfigError(`invalid ${field}${shown(field, env[field])}: ${EXPECTED[field] ?? message}`);
  }
  const e = decoded.success;
  const port = Number(e.PORT ?? 3000);
  const host = e.HOST ?? "127.0.0.1";
  const dataDir = e.DOCKET_DATA_DIR ?? "./data";
  const token = nonEmpty(e.DOCKET_API_TOKEN);
  const apiTokens = apiTokensFrom(token, nonEmpty(e.DOCKET_API_TOKENS));
  return {
    redisUrl: e.REDIS_URL ?? DEFAULT_REDIS_URL,
    dbPath: e.DOCKET_DB ?? `${dataDir}/docket.sqlite`,
    dataDir,
    port,
    host,
    token,
    apiTokens,
    apiUrl: e.DOCKET_API_URL ?? `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    prefix: e.DOCKET_PREFIX ?? "docket",
    shards: Number(e.DOCKET_SHARDS ?? 1),
    leaseMs: Number(e.DOCKET_LEASE_MS ?? 30_000),
    limits: {
      ...(e.DOCKET_SSE_MAX_CLIENTS === undefined ? {} : { sseMaxClients: Number(e.DOCKET_SSE_MAX_CLIENTS) }),
      ...(e.DOCKET_SSE_MAX_BUFFER_BYTES === undefined
        ? {}
        : { sseMaxBufferBytes: Number(e.DOCKET_SSE_MAX_BUFFER_BYTES) }),
      ...(e.DOCKET_TIME_TRAVEL_MAX_ENTRIES === undefined
        ? {}
        : { timeTravelMaxEntries: Number(e.DOCKET_TIME_TRAVEL_MAX_ENTRIES) }),
      ...(e.DOCKET_TIME_TRAVEL_CONCURRENCY === undefined
        ? {}
        : { timeTravelConcurrency: Number(e.DOCKET_TIME_TRAVEL_CONCURRENCY) }),
    },
    archive: {
      inApi: (e.DOCKET_ARCHIVER ?? "on") === "on",
      dir: e.DOCKET_ARCHIVE_DIR ?? `${dataDir}/archive`,
      segmentEntries: Number(e.DOCKET_ARCHIVE_SEGMENT_ENTRIES ?? 10_000),
      maxAgeMs: Number(e.DOCKET_ARCHIVE_MAX_AGE_MS ?? 60_000),
      leaseMs: Number(e.DOCKET_ARCHIVE_LEASE_MS ?? 15_000),
      signingKeyPath: e.DOCKET_SIGNING_KEY,
      dataDir,
      trustedKeyPaths: (e.DOCKET_ARCHIVE_TRUSTED_KEYS ?? "")
        .split(",")
        .map((path) => path.trim())
        .filter((path) => path !== ""),
      retention: {
        completedMs: parseDuration(e.DOCKET_RETAIN_COMPLETED ?? "24h") as number,
        deadLetterMs: parseDuration(e.DOCKET_RETAIN_DEAD ?? "7d") as number,
        cancelledMs: parseDuration(e.DOCKET_RETAIN_CANCELLED ?? "24h") as number,
      },
    },
    logLevel: e.LOG_LEVEL ?? "info",
    logFormat: e.LOG_FORMAT,
    metricsPort: e.DOCKET_METRICS_PORT === undefined ? undefined : Number(e.DOCKET_METRICS_PORT),
    metricsHost: e.DOCKET_METRICS_HOST ?? "127.0.0.1",
  };
};
