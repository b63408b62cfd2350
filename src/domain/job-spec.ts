/**
 * The job spec as recorded in a JobSubmitted event: every default already applied.
 *
 * Submission (engine) normalises what a caller sends into this shape; the domain only ever
 * sees complete specs, so replay never depends on defaults that might change later.
 */
import * as Schema from "effect/Schema";
import { Backoff } from "./retry-policy.ts";

/** Priority names and their numeric levels; higher levels are always served first. */
export const PRIORITY_LEVELS = { critical: 30, high: 20, normal: 10, low: 0 } as const;
export const Priority = Schema.Literals(["critical", "high", "normal", "low"]);
export type Priority = typeof Priority.Type;

/** A point in time as data: the exact output format of `Date.prototype.toISOString` (UTC, ms). */
export const Timestamp = Schema.String.check(
  Schema.isPattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
  Schema.makeFilter((s: string) => !Number.isNaN(Date.parse(s)) || "not a valid calendar time"),
);
export type Timestamp = typeof Timestamp.Type;

export const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1));
export const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));

/** Names of queues and job types: short, printable, safe inside Redis keys and URLs. */
export const Name = Schema.String.check(Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/));

export const JobSpec = Schema.Struct({
  jobType: Name,
  payload: Schema.Json,
  queue: Name,
  priority: Priority,
  maxAttempts: PositiveInt,
  backoff: Backoff,
  timeoutMs: Schema.optionalKey(PositiveInt),
  idempotencyKey: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(256))),
});
export type JobSpec = typeof JobSpec.Type;
