/**
 * Every error answer of the API (Effect Schema): `{ "error": { "code", "message", ...details } }`.
 * `code` is stable and snake_case (src/api/errors.ts maps each engine error and each refusal of
 * the HTTP edge to one); the details are the closed set below, each present only for the codes
 * that carry it. Which statuses an operation may answer with is said per operation
 * (operations.ts).
 */
import * as Schema from "effect/Schema";

export const ErrorDetail = Schema.Struct({
  code: Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9_]*$/)),
  message: Schema.String,
  /** invalid_request, invalid_job_spec: the first bad field (`body.type`, `query.limit`, …). */
  field: Schema.optionalKey(Schema.String),
  /** job_not_found, command_refused, contention, queue_unavailable: the job concerned. */
  jobId: Schema.optionalKey(Schema.String),
  /** command_refused: the job's status when it was refused. */
  status: Schema.optionalKey(Schema.String),
  /** queue_unavailable: whether the write may have happened. */
  outcome: Schema.optionalKey(Schema.Literals(["not_written", "unknown"])),
  /** projection_busy: what is running. */
  running: Schema.optionalKey(Schema.String),
  /** Quarantine and projection-halt codes: the shard-log entry concerned; archive_* codes: the shard. */
  shard: Schema.optionalKey(Schema.Int),
  /** archive_corrupt: the archive segment that does not check out. */
  segment: Schema.optionalKey(Schema.Int),
  /** archive_corrupt: what is wrong with it, as `docket audit verify --archive` names it (root_mismatch, segment_missing, …). */
  finding: Schema.optionalKey(Schema.String),
  entryId: Schema.optionalKey(Schema.String),
  /** scan_limit_exceeded: entries the scan would read. */
  entries: Schema.optionalKey(Schema.Int),
  /** scan_limit_exceeded, time_travel_busy, event_streams_full, schedule_limit, webhook_limit: the limit reached. */
  limit: Schema.optionalKey(Schema.Int),
  /** schedule_not_found, schedule_exists, schedule_refused: the schedule concerned. */
  schedule: Schema.optionalKey(Schema.String),
}).annotate({ identifier: "ErrorDetail" });
export type ErrorDetail = typeof ErrorDetail.Type;

export const ErrorBody = Schema.Struct({ error: ErrorDetail }).annotate({ identifier: "ErrorBody" });
export type ErrorBody = typeof ErrorBody.Type;
