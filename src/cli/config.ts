/**
 * Configuration from environment variables, validated once at start with a clear message naming
 * the variable and saying, in words, what it expects. Defaults work on one laptop (README
 * "Configuration"). Values that may hold a secret are never echoed (URLs are redacted).
 */
import { isIP } from "node:net";
import * as Result from "effect/Result";
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
import { clusterTargetOf, redisTargetUrl } from "../infra/redis/cluster-url.ts";
import { ASYNC, type Durability, durabilityOf } from "../infra/redis/durability.ts";
import { ConfigError } from "./config-error.ts";
// The file, not the domain's face: loading the whole domain here would cost every command.
import { DURATION_RULE, parseDuration } from "../domain/duration.ts";
import { MAX_NAME_LENGTH } from "../domain/limits.ts";
import {
  type DeliveryPolicy,
  DeliverySettingError,
  parseFairness,
  parseRateLimits,
} from "../domain/delivery-policy.ts";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "./log.ts";

export { ConfigError };

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
const intBetween =
  (min: number, max: number) =>
  (text: string): boolean =>
    /^[0-9]{1,9}$/.test(text) && Number(text) >= min && Number(text) <= max;
const oneOf =
  (values: ReadonlyArray<string>) =>
  (text: string): boolean =>
    values.includes(text);
const notEmpty = (text: string): boolean => text.length > 0;
const isClusterUrl = (text: string): boolean => {
  try {
    return clusterTargetOf(text) !== null;
  } catch {
    return false;
  }
};
const anything = (): boolean => true;
const isDuration = (text: string): boolean => parseDuration(text) !== null;
/** The domain's name rule (job-spec.ts NAME_PATTERN), without loading Effect Schema. */
const NAME = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,${MAX_NAME_LENGTH - 1}}$`);
const NAME_WORDS = `1 to ${MAX_NAME_LENGTH} of A-Z a-z 0-9 . _ : -, starting with a letter or digit`;
const isName = (text: string): boolean => NAME.test(text);
/** Names separated by commas; spaces around them and empty entries are ignored. */
const nameList = (text: string): ReadonlyArray<string> =>
  text
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
const isNameList = (text: string): boolean => nameList(text).length > 0 && nameList(text).every(isName);

/** An IP address or a CIDR range (DOCKET_WEBHOOK_ALLOW), without loading the engine. */
const isCidr = (text: string): boolean => {
  const [address = "", prefix] = text.split("/");
  const version = isIP(address);
  if (version === 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
};

/**
 * Every variable Docket reads: the rule its value must follow and, in words, what it expects
 * (what a refusal says). Checked in this order; the first bad one is reported. Plain predicates
 * rather than an Effect schema: every `docket` command reads its configuration first, and loading
 * Effect Schema cost client commands most of their start-up time (ADR 0032).
 */
const VARIABLES = {
  REDIS_URL: {
    ok: (text: string) => isUrl(["redis:", "rediss:"])(text) || isClusterUrl(text),
    expected:
      "expected a Redis URL such as redis://127.0.0.1:6379 (redis:// or rediss://, optionally redis://:password@host:port/db), or a cluster's redis-cluster://host:port,host:port",
  },
  REDIS_CLUSTER_NODES: {
    ok: (text: string) => isClusterUrl(`redis-cluster://${text}`),
    expected: "expected the cluster's nodes as host:port,host:port (ports from 1 to 65535)",
  },
  DOCKET_DB: { ok: notEmpty, expected: "expected a file path, e.g. ./data/docket.sqlite" },
  PORT: { ok: intBetween(0, 65535), expected: "expected a port number from 0 to 65535" },
  HOST: {
    ok: notEmpty,
    expected: "expected a host name or address to listen on, e.g. 127.0.0.1 or 0.0.0.0",
  },
  // Checked below, by rules that never echo a value (a token must not reach a log).
  DOCKET_API_TOKEN: { ok: anything, expected: "" },
  DOCKET_API_TOKENS: { ok: anything, expected: "" },
  DOCKET_API_URL: {
    ok: isUrl(["http:", "https:"]),
    expected: "expected the API's http:// or https:// URL, e.g. http://127.0.0.1:3000",
  },
  DOCKET_PREFIX: {
    ok: (text: string) => /^[A-Za-z0-9_.-]{1,64}$/.test(text),
    expected: "expected 1 to 64 letters, digits, '_', '.' or '-', e.g. docket",
  },
  DOCKET_SHARDS: { ok: intBetween(1, 1024), expected: "expected a whole number from 1 to 1024" },
  DOCKET_DURABILITY: {
    ok: (text: string) => durabilityOf(text) !== null,
    expected: "expected async, replicated (or replicated:N, N replicas from 1 to 16) or fsync",
  },
  DOCKET_LEASE_MS: {
    ok: intBetween(1000, 86_400_000),
    expected: "expected milliseconds, a whole number from 1000 to 86400000",
  },
  DOCKET_DATA_DIR: { ok: notEmpty, expected: "expected a directory path, e.g. ./data" },
  // Read-side bounds (README "Limits", ADR 0019).
  DOCKET_SSE_MAX_CLIENTS: {
    ok: intBetween(1, 100_000),
    expected: "expected a whole number of event streams from 1 to 100000",
  },
  DOCKET_SSE_MAX_BUFFER_BYTES: {
    ok: intBetween(1024, 999_999_999),
    expected: "expected bytes, a whole number from 1024 to 999999999",
  },
  DOCKET_TIME_TRAVEL_MAX_ENTRIES: {
    ok: intBetween(1, 999_999_999),
    expected: "expected a whole number of log entries from 1 to 999999999",
  },
  DOCKET_TIME_TRAVEL_CONCURRENCY: { ok: intBetween(1, 64), expected: "expected a whole number from 1 to 64" },
  // The archive (ADR 0028, 0029).
  DOCKET_ARCHIVE_DIR: { ok: notEmpty, expected: "expected a directory path, e.g. ./data/archive" },
  DOCKET_ARCHIVE_SEGMENT_ENTRIES: {
    ok: intBetween(1, 1_000_000),
    expected: "expected a whole number of log entries per segment from 1 to 1000000",
  },
  DOCKET_ARCHIVE_MAX_AGE_MS: {
    ok: intBetween(10, 86_400_000),
    expected: "expected milliseconds, a whole number from 10 to 86400000",
  },
  DOCKET_ARCHIVE_LEASE_MS: {
    ok: intBetween(1000, 3_600_000),
    expected: "expected milliseconds, a whole number from 1000 to 3600000",
  },
  DOCKET_ARCHIVER: { ok: oneOf(["on", "off"]), expected: "expected on or off" },
  DOCKET_SIGNING_KEY: {
    ok: notEmpty,
    expected: "expected the path of an Ed25519 private key in PEM (PKCS#8)",
  },
  DOCKET_ARCHIVE_TRUSTED_KEYS: {
    ok: notEmpty,
    expected: "expected public key files (PEM), separated by commas",
  },
  // The scheduler role (ADR 0037): in `docket api`, `start` and `worker`, unless off.
  DOCKET_SCHEDULER: { ok: oneOf(["on", "off"]), expected: "expected on or off" },
  DOCKET_SCHEDULER_INTERVAL_MS: {
    ok: intBetween(10, 60_000),
    expected: "expected milliseconds between scheduler passes, a whole number from 10 to 60000",
  },
  DOCKET_SCHEDULER_GRACE_MS: {
    ok: intBetween(0, 86_400_000),
    expected: "expected milliseconds a tick may be late and still fire, a whole number from 0 to 86400000",
  },
  // Retention: how long finished jobs stay in Redis (ADR 0034).
  DOCKET_RETAIN_COMPLETED: { ok: isDuration, expected: `expected a duration, ${DURATION_RULE}` },
  DOCKET_RETAIN_DEAD: { ok: isDuration, expected: `expected a duration, ${DURATION_RULE}` },
  DOCKET_RETAIN_CANCELLED: { ok: isDuration, expected: `expected a duration, ${DURATION_RULE}` },
  DOCKET_RETAIN_IDEMPOTENCY_KEYS: { ok: isDuration, expected: `expected a duration, ${DURATION_RULE}` },
  // A worker's defaults (`docket worker`, `docket start`); its flags win.
  DOCKET_QUEUES: {
    ok: isNameList,
    expected: `expected queue names separated by commas, e.g. high,default (each ${NAME_WORDS})`,
  },
  DOCKET_WORKER_NAME: { ok: isName, expected: `expected a worker name: ${NAME_WORDS}` },
  DOCKET_CONCURRENCY: {
    ok: intBetween(1, 100_000),
    expected: "expected the jobs a worker runs at once, a whole number from 1 to 100000",
  },
  // Checked by their parsers in readEnv, which say what is wrong with which limit (ADR 0039).
  DOCKET_RATE_LIMITS: { ok: anything, expected: "" },
  DOCKET_FAIRNESS: { ok: anything, expected: "" },
  DOCKET_ISOLATION: {
    ok: oneOf(["none", "thread"]),
    expected: "expected none (handlers run in the worker's thread) or thread (ADR 0040)",
  },
  // Logs and metrics (ADR 0030, 0031).
  LOG_LEVEL: { ok: oneOf(LOG_LEVELS), expected: `expected one of ${LOG_LEVELS.join(", ")}` },
  LOG_FORMAT: { ok: oneOf(["json", "text"]), expected: "expected json or text" },
  DOCKET_METRICS_PORT: { ok: intBetween(0, 65535), expected: "expected a port number from 0 to 65535" },
  // Outbound webhooks (ADR 0038).
  DOCKET_WEBHOOK_ALLOW_PRIVATE: {
    ok: oneOf(["0", "1"]),
    expected: "expected 1 (deliver to private addresses too) or 0",
  },
  DOCKET_WEBHOOK_ALLOW: {
    ok: (text: string) => nameList(text).length > 0 && nameList(text).every((entry) => isCidr(entry)),
    expected: "expected addresses or CIDR ranges separated by commas, e.g. 10.1.0.0/16,fd00::/8",
  },
  DOCKET_WEBHOOK_SECRET: { ok: anything, expected: "" },
  // Read by docket api/start (hook-secrets.ts), which checks the file's content.
  DOCKET_HOOK_SECRETS_FILE: { ok: anything, expected: "" },
  DOCKET_WEBHOOK_MAX_ATTEMPTS: { ok: intBetween(1, 100), expected: "expected a whole number from 1 to 100" },
  DOCKET_WEBHOOK_TIMEOUT_MS: {
    ok: intBetween(100, 120_000),
    expected: "expected milliseconds, a whole number from 100 to 120000",
  },
  DOCKET_METRICS_HOST: {
    ok: notEmpty,
    expected: "expected a host name or address to listen on, e.g. 127.0.0.1",
  },
} as const satisfies Record<string, { ok(text: string): boolean; expected: string }>;

/** The variables, each checked against its rule when set. */
type CheckedEnv = { readonly [Name in keyof typeof VARIABLES]?: string };

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
  /** DOCKET_DURABILITY: when a write counts as acknowledged (default async). */
  readonly durability: Durability;
  /** The API's resource bounds that are set (the others keep their defaults). */
  readonly limits: Partial<ApiLimits>;
  readonly logLevel: LogLevel;
  /** LOG_FORMAT; unset: JSON unless stdout is a terminal (log.ts). */
  readonly logFormat: LogFormat | undefined;
  /** Where a worker serves its /metrics (DOCKET_METRICS_PORT; unset: nowhere). */
  readonly metricsPort: number | undefined;
  readonly metricsHost: string;
  readonly archive: ArchiveEnv;
  /** A worker's defaults from DOCKET_QUEUES, DOCKET_WORKER_NAME, DOCKET_CONCURRENCY (unset: none). */
  readonly worker: WorkerEnv;
  /** The scheduler role (ADR 0037): DOCKET_SCHEDULER, DOCKET_SCHEDULER_INTERVAL_MS, _GRACE_MS. */
  readonly scheduler: SchedulerEnv;
  /** Inbound hook sources from DOCKET_HOOK_SECRET_<SOURCE> (ADR 0038): source → secret. */
  readonly hookSecrets: ReadonlyMap<string, string>;
  /** Outbound webhooks (ADR 0038). */
  readonly webhooks: WebhookEnv;
}

export interface SchedulerEnv {
  readonly enabled: boolean;
  readonly intervalMs: number;
  readonly graceMs: number;
}

export interface WebhookEnv {
  /** DOCKET_WEBHOOK_ALLOW_PRIVATE=1: deliver to loopback and private addresses too. */
  readonly allowPrivate: boolean;
  /** DOCKET_WEBHOOK_ALLOW: addresses or CIDR ranges allowed although not public. */
  readonly allow: ReadonlyArray<string>;
  /** DOCKET_WEBHOOK_SECRET: signs the deliveries of a job's own `webhook` (unset: jobs may not have one). */
  readonly jobSecret: string | undefined;
  readonly maxAttempts: number | undefined;
  readonly timeoutMs: number | undefined;
}

export interface WorkerEnv {
  readonly queues: ReadonlyArray<string> | undefined;
  readonly name: string | undefined;
  readonly concurrency: number | undefined;
  /** DOCKET_RATE_LIMITS and DOCKET_FAIRNESS (ADR 0039). */
  readonly delivery: DeliveryPolicy;
  /** DOCKET_ISOLATION: where handlers run (ADR 0040; unset: none, in the worker's own thread). */
  readonly isolation: "none" | "thread" | undefined;
}

/** A worker's rate limits and fairness, or a ConfigError naming the variable and what is wrong. */
const deliveryFrom = (rateLimits: string | undefined, fairness: string | undefined): DeliveryPolicy => {
  const parse = <T>(field: string, text: string, parser: (text: string) => T): T => {
    try {
      return parser(text);
    } catch (error) {
      if (error instanceof DeliverySettingError)
        throw new ConfigError(`invalid ${field}=${JSON.stringify(text)}: ${error.message}`);
      throw error;
    }
  };
  return {
    rateLimits: rateLimits === undefined ? [] : parse("DOCKET_RATE_LIMITS", rateLimits, parseRateLimits),
    fairness: parse("DOCKET_FAIRNESS", fairness ?? "strict", parseFairness),
  };
};

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
  /**
   * DOCKET_RETAIN_COMPLETED, _DEAD, _CANCELLED (ms): how long finished jobs stay in Redis;
   * DOCKET_RETAIN_IDEMPOTENCY_KEYS: how long their keys still answer after that.
   */
  readonly retention: {
    readonly completedMs: number;
    readonly deadLetterMs: number;
    readonly cancelledMs: number;
    readonly idempotencyKeysMs: number;
  };
}

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

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

/** Characters of a refused value shown at most: a pasted file or a runaway script stays out of the log. */
const SHOWN_MAX = 100;

/** How a refused value is shown: URLs without their credentials, secrets not at all, long ones cut. */
const shown = (field: string, value: string | undefined): string => {
  if (value === undefined) return "";
  if (/TOKEN|PASSWORD|SECRET/.test(field)) return " (value not shown)";
  const text = field.endsWith("_URL") ? redactUrl(value) : value;
  return text.length <= SHOWN_MAX
    ? `=${JSON.stringify(text)}`
    : `=${JSON.stringify(text.slice(0, SHOWN_MAX))}… (${text.length} characters)`;
};

/** Set but empty counts as unset for these (`LOG_FORMAT= docket api` picks the default). */
const EMPTY_IS_UNSET = [
  "LOG_LEVEL",
  "LOG_FORMAT",
  "DOCKET_METRICS_PORT",
  "DOCKET_QUEUES",
  "DOCKET_WORKER_NAME",
  "DOCKET_CONCURRENCY",
  "DOCKET_RATE_LIMITS",
  "DOCKET_FAIRNESS",
  "DOCKET_ISOLATION",
] as const;

const HOOK_SECRET_PREFIX = "DOCKET_HOOK_SECRET_";

/**
 * DOCKET_HOOK_SECRET_<SOURCE>=<secret> opens `POST /v1/hooks/<source>` (ADR 0038): the source is
 * the variable's suffix in lower case with `_` as `-` (DOCKET_HOOK_SECRET_GITHUB → github).
 * Errors name the variable, never the value.
 */
const hookSecretsFrom = (env: NodeJS.ProcessEnv): ReadonlyMap<string, string> => {
  const secrets = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(HOOK_SECRET_PREFIX) || value === undefined || value === "") continue;
    const suffix = name.slice(HOOK_SECRET_PREFIX.length);
    if (!/^[A-Z0-9][A-Z0-9_]{0,31}$/.test(suffix))
      throw new ConfigError(
        `invalid ${name}: the source after ${HOOK_SECRET_PREFIX} must be 1 to 32 of A-Z 0-9 _, starting with a letter or digit`,
      );
    if (!/^[\x21-\x7e]{16,256}$/.test(value))
      throw new ConfigError(
        `invalid ${name} (value not shown): expected 16 to 256 printable ASCII characters`,
      );
    secrets.set(suffix.toLowerCase().replaceAll("_", "-"), value);
  }
  return secrets;
};

/** DOCKET_WEBHOOK_SECRET, checked without ever showing it. */
const jobSecretFrom = (secret: string | undefined): string | undefined => {
  if (secret !== undefined && !/^[\x21-\x7e]{16,256}$/.test(secret))
    throw new ConfigError(
      "invalid DOCKET_WEBHOOK_SECRET (value not shown): expected 16 to 256 printable ASCII characters",
    );
  return secret;
};

export const readEnv = (given: NodeJS.ProcessEnv = process.env): DocketEnv => {
  const env = { ...given };
  for (const name of EMPTY_IS_UNSET) if (env[name] === "") delete env[name];
  for (const [field, variable] of Object.entries(VARIABLES)) {
    const value = env[field];
    if (value !== undefined && !variable.ok(value))
      throw new ConfigError(`invalid ${field}${shown(field, value)}: ${variable.expected}`);
  }
  const e: CheckedEnv = env;
  const port = Number(e.PORT ?? 3000);
  const host = e.HOST ?? "127.0.0.1";
  const dataDir = e.DOCKET_DATA_DIR ?? "./data";
  const token = nonEmpty(e.DOCKET_API_TOKEN);
  const apiTokens = apiTokensFrom(token, nonEmpty(e.DOCKET_API_TOKENS));
  return {
    redisUrl: redisTargetUrl(e.REDIS_URL ?? DEFAULT_REDIS_URL, e.REDIS_CLUSTER_NODES),
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
    durability: durabilityOf(e.DOCKET_DURABILITY ?? "async") ?? ASYNC,
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
        idempotencyKeysMs: parseDuration(e.DOCKET_RETAIN_IDEMPOTENCY_KEYS ?? "24h") as number,
      },
    },
    logLevel: (e.LOG_LEVEL as LogLevel | undefined) ?? "info",
    logFormat: e.LOG_FORMAT as LogFormat | undefined,
    metricsPort: e.DOCKET_METRICS_PORT === undefined ? undefined : Number(e.DOCKET_METRICS_PORT),
    metricsHost: e.DOCKET_METRICS_HOST ?? "127.0.0.1",
    scheduler: {
      enabled: (e.DOCKET_SCHEDULER ?? "on") === "on",
      intervalMs: Number(e.DOCKET_SCHEDULER_INTERVAL_MS ?? 250),
      graceMs: Number(e.DOCKET_SCHEDULER_GRACE_MS ?? 30_000),
    },
    worker: {
      queues: e.DOCKET_QUEUES === undefined ? undefined : nameList(e.DOCKET_QUEUES),
      name: e.DOCKET_WORKER_NAME,
      concurrency: e.DOCKET_CONCURRENCY === undefined ? undefined : Number(e.DOCKET_CONCURRENCY),
      delivery: deliveryFrom(e.DOCKET_RATE_LIMITS, e.DOCKET_FAIRNESS),
      isolation: e.DOCKET_ISOLATION as "none" | "thread" | undefined,
    },
    hookSecrets: hookSecretsFrom(env),
    webhooks: {
      allowPrivate: e.DOCKET_WEBHOOK_ALLOW_PRIVATE === "1",
      allow: e.DOCKET_WEBHOOK_ALLOW === undefined ? [] : nameList(e.DOCKET_WEBHOOK_ALLOW),
      jobSecret: jobSecretFrom(nonEmpty(e.DOCKET_WEBHOOK_SECRET)),
      maxAttempts:
        e.DOCKET_WEBHOOK_MAX_ATTEMPTS === undefined ? undefined : Number(e.DOCKET_WEBHOOK_MAX_ATTEMPTS),
      timeoutMs: e.DOCKET_WEBHOOK_TIMEOUT_MS === undefined ? undefined : Number(e.DOCKET_WEBHOOK_TIMEOUT_MS),
    },
  };
};
