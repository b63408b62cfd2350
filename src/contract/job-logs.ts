/**
 * `GET /v1/jobs/:id/logs`: a job's log, one line per event worth reading — the lines its handler
 * logged (LogRecorded) and the lifecycle lines derived from its other events when read
 * ("Executing <type> job (attempt n of m)", "Job OK", "Job failed: <code>"); the worker writes
 * no event for them (src/engine/read/job-log.ts says why).
 */
import * as Schema from "effect/Schema";
import { Timestamp } from "../domain/index.ts";

export const JobLogLine = Schema.Struct({
  /** The event the line comes from (its seq in the job's history). */
  seq: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  at: Timestamp,
  /** The attempt it belongs to (null before the first and for what is not an attempt's). */
  attempt: Schema.NullOr(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  /** `handler`: logged by the job's handler; `docket`: a lifecycle line. */
  source: Schema.Literals(["handler", "docket"]),
  line: Schema.String,
}).annotate({ identifier: "JobLogLine" });
export type JobLogLine = typeof JobLogLine.Type;

/** `GET /v1/jobs/:id/logs`: in seq order. */
export const JobLogs = Schema.Struct({ lines: Schema.Array(JobLogLine) }).annotate({ identifier: "JobLogs" });
export type JobLogs = typeof JobLogs.Type;
