/**
 * What callers send: the request bodies, query strings and path parameters of the HTTP API
 * (Effect Schema). The API decodes every request with these (src/api/decode.ts), the OpenAPI
 * document is generated from them (operations.ts), the typed client takes their types, and the
 * write room's submit normalisation decodes `SubmitRequest` before applying its defaults.
 */
import * as Schema from "effect/Schema";
import {
  ActorClaim,
  Backoff,
  IdempotencyKey,
  JOB_STATES,
  JobId,
  JobMeta,
  JobWebhook,
  JsonValue,
  META_KEY_PATTERN,
  MAX_SEARCH_TEXT_LENGTH,
  MAX_DELAY_MS,
  MaxAttempts,
  RetainMs,
  ConcurrencyKey,
  ConcurrencyLimit,
  DURATION_RULE,
  FailurePolicy,
  MAX_DEPENDENCIES,
  parseDuration,
  Name,
  PositiveInt,
  PRIORITY_LEVELS,
  Priority,
  TimeoutMs,
  Timestamp,
} from "../domain/index.ts";

export { ActorClaim };

/** A job status as the API names it. */
export const JobStatus = Schema.Literals(JOB_STATES);

/**
 * A priority by name, or by the level the seeds' users know (30, 20, 10, 0: RQ-style and the
 * design's numbers), which the write room turns into the name: events only ever hold names.
 */
export const PriorityInput = Schema.Literals([
  ...Priority.literals,
  PRIORITY_LEVELS.critical,
  PRIORITY_LEVELS.high,
  PRIORITY_LEVELS.normal,
  PRIORITY_LEVELS.low,
]).annotate({ description: "critical, high, normal or low; or its level: 30, 20, 10 or 0" });
export type PriorityInput = typeof PriorityInput.Type;

/**
 * The public job spec (`POST /v1/jobs`, each item of a bulk submit). Field names are public API;
 * every field's schema and bound is the domain's own, so a spec accepted here makes events every
 * reader accepts. The write room applies the defaults (normaliseSubmit).
 */
/** One dependency as a caller names it: a job id, or the id with its failure policy. */
export const DependencyInput = Schema.Union([
  JobId,
  Schema.Struct({ jobId: JobId, onFailure: Schema.optionalKey(FailurePolicy) }),
]);
export type DependencyInput = typeof DependencyInput.Type;

export const DependsOnInput = Schema.Array(DependencyInput).check(
  Schema.isMinLength(1),
  Schema.isMaxLength(MAX_DEPENDENCIES),
);

export const SubmitRequest = Schema.Struct({
  type: Name,
  payload: Schema.optionalKey(JsonValue),
  queue: Schema.optionalKey(Name),
  priority: Schema.optionalKey(PriorityInput),
  maxAttempts: Schema.optionalKey(MaxAttempts),
  backoff: Schema.optionalKey(Backoff),
  timeoutMs: Schema.optionalKey(TimeoutMs),
  /** Whole milliseconds from now, 0 to MAX_DELAY_MS. */
  delayMs: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: MAX_DELAY_MS }))),
  /** At most MAX_DELAY_MS from now (checked in normaliseSubmit, which knows the time). */
  runAt: Schema.optionalKey(Timestamp),
  idempotencyKey: Schema.optionalKey(IdempotencyKey),
  /**
   * How long the job stays in Redis after it ends, in whole milliseconds (0 to 3,650 days),
   * instead of the deployment's DOCKET_RETAIN_* for its end state. Its history stays in the
   * archive; its idempotency key lasts as long as it stays.
   */
  retainMs: Schema.optionalKey(RetainMs),
  /**
   * Jobs with the same key (a customer id, say; 1 to 256 characters) run at most
   * `concurrencyLimit` (1 to 10,000; default 1) at once across all workers; the others wait
   * queued, without an attempt (ADR 0039).
   */
  concurrencyKey: Schema.optionalKey(ConcurrencyKey),
  concurrencyLimit: Schema.optionalKey(ConcurrencyLimit),
  /**
   * Free labels shown by get and list and searchable (`metaKey`, `metaValue`): a JSON object of
   * at most 16 KiB, nested at most 8 deep. The job's handler may replace it (`ctx.setMeta`).
   */
  meta: Schema.optionalKey(JobMeta),
  /**
   * The job's own webhook: `{url, events?}` (events: job event types; absent: all). Deliveries
   * are signed with the deployment's DOCKET_WEBHOOK_SECRET and follow the subscriptions' rules
   * (README "Webhooks").
   */
  webhook: Schema.optionalKey(JobWebhook),
  /**
   * The jobs this one waits for (ADR 0042), 1 to 100: each a job id (failure policy `fail`), or
   * `{jobId, onFailure}` with onFailure `fail` (default: the job is dead-lettered if it fails),
   * `ignore` (its failure counts as an end) or `continue` (its failure releases the job at once).
   * Each must exist; one already ended counts at once. The job is `waiting` until released.
   */
  dependsOn: Schema.optionalKey(DependsOnInput),
});
export type SubmitRequest = typeof SubmitRequest.Type;

/**
 * `POST /v1/jobs/purge`: let go, from Redis, of up to `limit` jobs that ended in `status` at
 * least `olderThan` ago (a duration: 90s, 15m, 24h, 7d), whatever their retention. Each is
 * recorded (JobEvicted, reason `purge`, by the caller) and leaves once that is archived.
 */
export const PurgeRequest = Schema.Struct({
  status: Schema.Literals(["completed", "dead_letter", "cancelled"]),
  olderThan: Schema.String.check(
    Schema.makeFilter((s: string) => parseDuration(s) !== null || `must be ${DURATION_RULE}`),
  ),
  /** 1 to 100,000 (default 10,000). */
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100_000 }))),
});
export type PurgeRequest = typeof PurgeRequest.Type;

const Reason = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(1024));

export const JobIdParams = Schema.Struct({ id: JobId });

/** Query strings arrive as strings: a page size is 1..500 written in decimal digits. */
const Limit = Schema.String.check(
  Schema.isPattern(/^[1-9][0-9]{0,2}$/),
  Schema.makeFilter((s: string) => Number(s) <= 500 || "must be at most 500"),
);
export const MAX_BULK = 1000;

/** A point in time as a query value: ISO 8601 or epoch ms (parsed by the audit's parseInstant). */
const Instant = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64));

/** Text to search for: 1 to MAX_SEARCH_TEXT_LENGTH characters. */
const SearchText = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(MAX_SEARCH_TEXT_LENGTH));

export const ListJobsQuery = Schema.Struct({
  status: Schema.optionalKey(JobStatus),
  /** Time travel: the jobs that were in `status` at this time (from the log, not the projection). */
  at: Schema.optionalKey(Instant),
  type: Schema.optionalKey(Name),
  queue: Schema.optionalKey(Name),
  limit: Schema.optionalKey(Limit),
  cursor: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_-]{1,200}$/))),
  /** Created at or after this instant (ISO 8601 or epoch ms). */
  createdFrom: Schema.optionalKey(Instant),
  /** Created before this instant. */
  createdTo: Schema.optionalKey(Instant),
  /** Ended (completed, dead-lettered, cancelled) at or after this instant. */
  endedFrom: Schema.optionalKey(Instant),
  /** Ended before this instant. */
  endedTo: Schema.optionalKey(Instant),
  /** The latest attempt's error code is this. */
  errorCode: Schema.optionalKey(Name),
  /** The latest attempt's error message contains this text (literally, ASCII case-insensitive). */
  errorText: Schema.optionalKey(SearchText),
  /** The job's meta has this top-level member (a plain name: letters, digits, `_`, `-`). */
  metaKey: Schema.optionalKey(Schema.String.check(Schema.isPattern(META_KEY_PATTERN))),
  /**
   * With metaKey: that member is the string `metaValue`, or a value whose JSON text is
   * `metaValue` (`42`, `true`, `null`).
   */
  metaValue: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(MAX_SEARCH_TEXT_LENGTH))),
});

export const StateAtQuery = Schema.Struct({ at: Instant });

export const VerifyRequest = Schema.Struct({
  jobId: Schema.optionalKey(JobId),
  /** The system has drained: every job must be terminal. */
  drained: Schema.optionalKey(Schema.Boolean),
});
export type VerifyRequest = typeof VerifyRequest.Type;

export const ExportQuery = Schema.Struct({
  jobId: Schema.optionalKey(JobId),
  since: Schema.optionalKey(Instant),
});

export const DeadLettersQuery = Schema.Struct({ limit: Schema.optionalKey(Limit) });

export const BulkSubmitRequest = Schema.Struct({
  jobs: Schema.Array(Schema.Unknown).check(Schema.isMinLength(1), Schema.isMaxLength(MAX_BULK)),
});

export const CancelRequest = Schema.Struct({ reason: Schema.optionalKey(Reason) });
export type CancelRequest = typeof CancelRequest.Type;

/**
 * `POST /v1/jobs/:id/signal` (ADR 0043): a signal for a job's `ctx.waitFor(name)`. Each name is
 * received once per job; the payload is JSON of at most 64 KiB.
 */
export const SignalRequest = Schema.Struct({
  name: Name,
  payload: Schema.optionalKey(JsonValue),
});
export type SignalRequest = typeof SignalRequest.Type;

export const RetryRequest = Schema.Struct({
  reason: Schema.optionalKey(Reason),
  /** Attempts to grant (default: the job's own maxAttempts). */
  attempts: Schema.optionalKey(PositiveInt.check(Schema.isLessThanOrEqualTo(1000))),
});
export type RetryRequest = typeof RetryRequest.Type;

/** `POST /v1/projections/quarantine`: skip one undecodable shard-log entry (ADR 0019). */
export const QuarantineRequest = Schema.Struct({
  shard: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(1023)),
  /** A stream entry id, "<ms>-<seq>". */
  entryId: Schema.String.check(Schema.isPattern(/^[0-9]{1,20}-[0-9]{1,20}$/)),
  /** Why it is skipped: recorded with the actor, listed by verify. */
  reason: Reason,
});
export type QuarantineRequest = typeof QuarantineRequest.Type;

export const EventStreamQuery = Schema.Struct({
  jobId: Schema.optionalKey(JobId),
  type: Schema.optionalKey(Name),
});
