/**
 * The job spec as recorded in a JobSubmitted event: every default already applied.
 *
 * Submission (engine) normalises what a caller sends into this shape; the domain only ever
 * sees complete specs, so replay never depends on defaults that might change later. Every field
 * is bounded to what a date, a timer and the readers can hold (limits.ts, ADR 0018).
 */
import * as Schema from "effect/Schema";
import { Dependencies } from "./dependencies.ts";
import { JobMeta } from "./job-meta.ts";
import { JsonValue } from "./json-value.ts";
import {
  MAX_ATTEMPTS,
  MAX_CONCURRENCY_KEY_LENGTH,
  MAX_CONCURRENCY_LIMIT,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_NAME_LENGTH,
  MAX_RETAIN_MS,
  MAX_TIMEOUT_MS,
} from "./limits.ts";
import { Backoff } from "./retry-policy.ts";
import { Text } from "./text.ts";

/** Priority names and their numeric levels; higher levels are always served first. */
export const PRIORITY_LEVELS = { critical: 30, high: 20, normal: 10, low: 0 } as const;
export const Priority = Schema.Literals(["critical", "high", "normal", "low"]);
export type Priority = typeof Priority.Type;

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * True when `text` is exactly what `Date.prototype.toISOString` writes for its instant: the
 * shape of ISO_UTC with a four-digit year (0000 to 9999, proleptic Gregorian as Date counts) and
 * a real calendar time (no 30 February, no hour 24). Plain arithmetic: it runs on every event
 * written and read, where parsing and printing a Date cost ten times as much.
 */
export const isTimestamp = (text: string): boolean => {
  if (text.length !== 24 || !ISO_UTC.test(text)) return false;
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  return (
    day >= 1 &&
    day <= days &&
    twoDigits(text, 11) < 24 &&
    twoDigits(text, 14) < 60 &&
    twoDigits(text, 17) < 60
  );
};

/** The number written by the two ASCII digits at `i`. */
const twoDigits = (text: string, i: number): number =>
  (text.charCodeAt(i) - 48) * 10 + (text.charCodeAt(i + 1) - 48);

/** A point in time as data: the exact output of `Date.prototype.toISOString` (UTC, ms, years 0000-9999). */
export const Timestamp = Schema.String.check(
  Schema.makeFilter(isTimestamp, {
    expected: "a UTC time as toISOString writes it (YYYY-MM-DDTHH:mm:ss.sssZ), years 0000 to 9999",
  }),
);
export type Timestamp = typeof Timestamp.Type;

export const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1));
export const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));

export const NAME_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,${MAX_NAME_LENGTH - 1}}$`);

/** Names of queues, job types and error codes: short, printable, safe inside Redis keys and URLs. */
export const Name = Schema.String.check(Schema.isPattern(NAME_PATTERN));

/** Attempts in total, 1 to MAX_ATTEMPTS. */
export const MaxAttempts = PositiveInt.check(Schema.isLessThanOrEqualTo(MAX_ATTEMPTS));

/** A handler's time limit: at most what one timer holds, so it never fires early. */
export const TimeoutMs = PositiveInt.check(Schema.isLessThanOrEqualTo(MAX_TIMEOUT_MS));

/**
 * How long a finished job stays in Redis (the hot tier) once its history is archived, overriding
 * the deployment's retention for its end state (ADR 0034).
 */
export const RetainMs = NonNegativeInt.check(Schema.isLessThanOrEqualTo(MAX_RETAIN_MS));

export const IdempotencyKey = Text(1, MAX_IDEMPOTENCY_KEY_LENGTH);

/** Jobs with the same key run at most `concurrencyLimit` at once across all workers (ADR 0039). */
export const ConcurrencyKey = Text(1, MAX_CONCURRENCY_KEY_LENGTH);
export const ConcurrencyLimit = PositiveInt.check(Schema.isLessThanOrEqualTo(MAX_CONCURRENCY_LIMIT));
/** Longest URL a job's own webhook may have. */
export const MAX_JOB_WEBHOOK_URL_LENGTH = 2048;

/**
 * A job's own webhook (ADR 0038): where its events are POSTed, signed with the deployment's
 * job-webhook secret; `events` absent means all of them. Where it may point is checked when it
 * is delivered to (the deployment's address policy), not here: the domain knows no network.
 */
export const JobWebhook = Schema.Struct({
  url: Text(1, MAX_JOB_WEBHOOK_URL_LENGTH).check(Schema.isPattern(/^https?:\/\/\S+$/i)),
  events: Schema.optionalKey(Schema.Array(Name).check(Schema.isMinLength(1), Schema.isMaxLength(32))),
});
export type JobWebhook = typeof JobWebhook.Type;

export const JobSpec = Schema.Struct({
  jobType: Name,
  payload: JsonValue,
  queue: Name,
  priority: Priority,
  maxAttempts: MaxAttempts,
  backoff: Backoff,
  timeoutMs: Schema.optionalKey(TimeoutMs),
  idempotencyKey: Schema.optionalKey(IdempotencyKey),
  retainMs: Schema.optionalKey(RetainMs),
  /** Jobs with this key run at most concurrencyLimit (1 when not given) at once (ADR 0039). */
  concurrencyKey: Schema.optionalKey(ConcurrencyKey),
  concurrencyLimit: Schema.optionalKey(ConcurrencyLimit),
  /** Free labels to show and search by (job-meta.ts); the handler may replace them (MetaUpdated). */
  meta: Schema.optionalKey(JobMeta),
  /** Where this job's events are delivered besides the subscriptions (ADR 0038). */
  webhook: Schema.optionalKey(JobWebhook),
  /** The jobs this one waits for, each with its failure policy (ADR 0042). */
  dependsOn: Schema.optionalKey(Dependencies),
});
export type JobSpec = typeof JobSpec.Type;
