/**
 * Configuration from environment variables, validated once at start with a clear message naming
 * the variable. Defaults work on one laptop (README "Configuration").
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import type { ApiLimits } from "../api/limits.ts";
import { firstIssue } from "../engine/schema-errors.ts";

const IntString = (min: number, max: number) =>
  Schema.String.check(
    Schema.isPattern(/^[0-9]{1,9}$/),
    Schema.makeFilter(
      (s: string) => (Number(s) >= min && Number(s) <= max) || `must be between ${min} and ${max}`,
    ),
  );

const EnvSchema = Schema.Struct({
  REDIS_URL: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^rediss?:\/\/\S+$/))),
  DOCKET_DB: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  PORT: Schema.optionalKey(IntString(0, 65535)),
  HOST: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  DOCKET_API_TOKEN: Schema.optionalKey(Schema.String),
  DOCKET_API_URL: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^https?:\/\/\S+$/))),
  DOCKET_PREFIX: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_.-]{1,64}$/))),
  DOCKET_SHARDS: Schema.optionalKey(IntString(1, 1024)),
  DOCKET_LEASE_MS: Schema.optionalKey(IntString(1000, 86_400_000)),
  DOCKET_DATA_DIR: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  // Read-side bounds (README "Limits", ADR 0019).
  DOCKET_SSE_MAX_CLIENTS: Schema.optionalKey(IntString(1, 100_000)),
  DOCKET_SSE_MAX_BUFFER_BYTES: Schema.optionalKey(IntString(1024, 999_999_999)),
  DOCKET_TIME_TRAVEL_MAX_ENTRIES: Schema.optionalKey(IntString(1, 999_999_999)),
  DOCKET_TIME_TRAVEL_CONCURRENCY: Schema.optionalKey(IntString(1, 64)),
});

export interface DocketEnv {
  readonly redisUrl: string;
  readonly dbPath: string;
  readonly dataDir: string;
  readonly port: number;
  readonly host: string;
  readonly token: string | undefined;
  readonly apiUrl: string;
  readonly prefix: string;
  readonly shards: number;
  readonly leaseMs: number;
  /** The API's resource bounds that are set (the others keep their defaults). */
  readonly limits: Partial<ApiLimits>;
}

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

export class ConfigError extends Error {}

export const readEnv = (env: NodeJS.ProcessEnv = process.env): DocketEnv => {
  const decoded = Schema.decodeUnknownResult(EnvSchema)(env, { onExcessProperty: "ignore" });
  if (Result.isFailure(decoded)) {
    const { field, message } = firstIssue(decoded.failure);
    throw new ConfigError(`invalid ${field}=${JSON.stringify(env[field] ?? "")}: ${message}`);
  }
  const e = decoded.success;
  const port = Number(e.PORT ?? 3000);
  const host = e.HOST ?? "127.0.0.1";
  const dataDir = e.DOCKET_DATA_DIR ?? "./data";
  const token =
    e.DOCKET_API_TOKEN === undefined || e.DOCKET_API_TOKEN === "" ? undefined : e.DOCKET_API_TOKEN;
  return {
    redisUrl: e.REDIS_URL ?? DEFAULT_REDIS_URL,
    dbPath: e.DOCKET_DB ?? `${dataDir}/docket.sqlite`,
    dataDir,
    port,
    host,
    token,
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
  };
};
