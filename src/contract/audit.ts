/**
 * The audit routes' answers (Effect Schema): replay, time travel, explain and verify reports as
 * the engine's audit room builds them (src/engine/audit) and the API returns them. Literal unions
 * (checks, sentence kinds, outcomes) list the engine's values; src/api/contract-drift.ts fails
 * the typecheck when the engine gains one these do not list.
 */
import * as Schema from "effect/Schema";
import { Actor, AttemptError, EVENT_TYPES, Hash, JobId, Progress, Timestamp } from "../domain/index.ts";
import { JobPage, JobView } from "./jobs.ts";
import { JobStatus } from "./requests.ts";

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));

/**
 * The time a time-travel question asked about, as `Date.toISOString` writes it: a Timestamp for
 * years 0000 to 9999, the extended form (`+275760-09-13T00:00:00.000Z`) beyond them.
 */
const AsOf = Schema.String.check(
  Schema.isPattern(/^([+-]\d{6}|\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
);

/** The first thing wrong with a job's history: where (seq), what (a stable code) and why. */
export const Finding = Schema.Struct({
  seq: Schema.Int,
  code: Schema.String,
  message: Schema.String,
}).annotate({ identifier: "Finding" });
export type Finding = typeof Finding.Type;

/** The parts of a job's machine state an auditor reads. */
export const StateSummary = Schema.Struct({
  status: JobStatus,
  attempt: Schema.Int,
  maxAttempts: Schema.Int,
  dueAt: Schema.NullOr(Timestamp),
  lastError: Schema.NullOr(AttemptError),
  progress: Schema.NullOr(Progress),
  result: Schema.NullOr(Schema.Json),
  /** Durable steps (ADR 0043): step outcomes recorded, suspensions, what a suspended job waits for. */
  steps: Schema.Int,
  suspensions: Schema.Int,
  suspension: Schema.NullOr(
    Schema.Struct({ kind: Schema.Literals(["sleep", "signal"]), name: Schema.String }),
  ),
}).annotate({ identifier: "StateSummary" });
export type StateSummary = typeof StateSummary.Type;

/** `GET /v1/jobs/:id/replay`: 200 even for a broken history (`ok: false`, `failure`). */
export const ReplayReport = Schema.Struct({
  jobId: JobId,
  ok: Schema.Boolean,
  anchor: Schema.NullOr(Schema.Struct({ version: Schema.Int, lastHash: Schema.String })),
  events: Schema.Array(
    Schema.Struct({
      seq: Schema.Int,
      at: Timestamp,
      actor: Actor,
      type: Schema.Literals(EVENT_TYPES),
      data: Schema.Unknown,
      hash: Hash,
      state: StateSummary,
    }),
  ),
  storedEvents: Count,
  final: Schema.NullOr(StateSummary),
  failure: Schema.NullOr(Finding),
}).annotate({ identifier: "ReplayReport" });
export type ReplayReport = typeof ReplayReport.Type;

/** `GET /v1/jobs/:id/state?at=`: the job as it was then (`existed: false` before its first event). */
export const StateAt = Schema.Struct({
  jobId: JobId,
  asOf: AsOf,
  existed: Schema.Boolean,
  seq: Schema.Int,
  eventAt: Schema.NullOr(Timestamp),
  state: Schema.NullOr(StateSummary),
  view: Schema.NullOr(JobView),
  failure: Schema.NullOr(Finding),
}).annotate({ identifier: "StateAt" });
export type StateAt = typeof StateAt.Type;

/** `GET /v1/jobs?status=&at=`: the jobs that were in a status at a time, from the log. */
export const JobsAt = Schema.Struct({
  status: JobStatus,
  asOf: AsOf,
  /** Their views as of then, oldest first, at most `limit`. */
  jobs: Schema.Array(JobView),
  /** How many jobs matched in all. */
  total: Count,
  scanned: Schema.Struct({ entries: Count, jobs: Count }),
  unreadable: Schema.Array(Schema.Struct({ jobId: Schema.String, seq: Schema.Int, reason: Schema.String })),
}).annotate({ identifier: "JobsAt" });
export type JobsAt = typeof JobsAt.Type;

const SentenceKind = Schema.Literals([
  "submitted",
  "queued",
  "attempt_started",
  "completed",
  "attempt_failed",
  "timeout",
  "lease_expired",
  "no_handler",
  "dead_lettered",
  "cancelled",
  "manual_retry",
  "dependency_ended",
  "released",
  "failed_by_dependency",
  "evicted",
  "step_completed",
  "step_failed",
  "suspended",
  "signal_received",
]);

/** `GET /v1/jobs/:id/explain`: why the job ended where it did, in plain words. */
export const Explanation = Schema.Struct({
  jobId: JobId,
  status: Schema.NullOr(JobStatus),
  jobType: Schema.String,
  queue: Schema.String,
  attemptsUsed: Schema.Int,
  maxAttempts: Schema.Int,
  summary: Schema.String,
  sentences: Schema.Array(
    Schema.Struct({
      seq: Schema.Int,
      at: Timestamp,
      actor: Actor,
      kind: SentenceKind,
      text: Schema.String,
    }),
  ),
  attempts: Schema.Array(
    Schema.Struct({
      attempt: Schema.Int,
      startedAt: Timestamp,
      startedBy: Actor,
      endedAt: Schema.NullOr(Timestamp),
      outcome: Schema.Literals(["running", "completed", "failed", "cancelled", "suspended"]),
      error: Schema.NullOr(AttemptError),
      progressReports: Count,
      logLines: Count,
      /** Durable steps this attempt ran and recorded (ADR 0043). */
      steps: Count,
    }),
  ),
  /** Set when the history is broken: the account covers only the events before it. */
  integrity: Schema.NullOr(Finding),
}).annotate({ identifier: "Explanation" });
export type Explanation = typeof Explanation.Type;

const VerifyCheck = Schema.Literals([
  "history",
  "head",
  "shard_log",
  "attempts",
  "steps",
  "terminal",
  "not_orphaned",
  "projection",
]);

/** `POST /v1/audit/verify`: 200 with `ok: false` and the failures when verification fails. */
export const VerifyReport = Schema.Struct({
  ok: Schema.Boolean,
  scope: Schema.Struct({ jobId: Schema.NullOr(JobId), drained: Schema.Boolean }),
  checks: Schema.Array(VerifyCheck),
  skipped: Schema.Array(Schema.Struct({ check: VerifyCheck, reason: Schema.String })),
  counts: Schema.Struct({
    shards: Count,
    jobs: Count,
    events: Count,
    logEntries: Count,
    failures: Count,
    jobsFailed: Count,
    quarantined: Count,
    /** Jobs by the status their (good) history folds to; statuses no job is in are absent. */
    byStatus: Schema.Record(Schema.String, Count),
  }),
  failures: Schema.Array(
    Schema.Struct({
      check: VerifyCheck,
      jobId: Schema.NullOr(Schema.String),
      seq: Schema.NullOr(Schema.Int),
      code: Schema.String,
      message: Schema.String,
    }),
  ),
  notices: Schema.Array(Schema.Struct({ jobId: Schema.String, message: Schema.String })),
  /** Undecodable shard-log entries an operator quarantined (ADR 0019): listed, not failures. */
  quarantined: Schema.Array(
    Schema.Struct({
      shard: Schema.Int,
      entryId: Schema.String,
      jobId: Schema.NullOr(Schema.String),
      problem: Schema.String,
      reason: Schema.String,
      actor: Actor,
      at: Timestamp,
    }),
  ),
}).annotate({ identifier: "VerifyReport" });
export type VerifyReport = typeof VerifyReport.Type;

/** `GET /v1/jobs`: a page from the projection, or with `at` the jobs in a status then. */
export const JobListing = Schema.Union([JobPage, JobsAt]);
