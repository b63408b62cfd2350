/**
 * The HTTP API's request and response schemas (Effect Schema). The same schemas validate every
 * request (`decodeOrThrow`) and generate the OpenAPI document (openapi.ts), so the published
 * contract cannot drift from what the server accepts.
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import {
  Actor,
  AttemptError,
  EnvelopeSchema,
  Hash,
  EVENT_TYPES,
  JOB_STATES,
  JobId,
  Name,
  PositiveInt,
  Priority,
  Progress,
  Timestamp,
} from "../domain/index.ts";
import { firstIssue } from "../engine/shared/index.ts";
import { SubmitRequest } from "../engine/write/index.ts";
import { ApiError } from "./errors.ts";

export { SubmitRequest };

const Reason = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(1024));
export const JobStatusSchema = Schema.Literals(JOB_STATES);
export const EventTypeSchema = Schema.Literals(EVENT_TYPES);

export const JobIdParams = Schema.Struct({ id: JobId });

/** Query strings arrive as strings: a page size is 1..500 written in decimal digits. */
const Limit = Schema.String.check(
  Schema.isPattern(/^[1-9][0-9]{0,2}$/),
  Schema.makeFilter((s: string) => Number(s) <= 500 || "must be at most 500"),
);
export const MAX_BULK = 1000;

/** A point in time as a query value: ISO 8601 or epoch ms (parsed by the audit's parseInstant). */
const Instant = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64));

export const ListJobsQuery = Schema.Struct({
  status: Schema.optionalKey(JobStatusSchema),
  /** Time travel: the jobs that were in `status` at this time (from the log, not the projection). */
  at: Schema.optionalKey(Instant),
  type: Schema.optionalKey(Name),
  queue: Schema.optionalKey(Name),
  limit: Schema.optionalKey(Limit),
  cursor: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_-]{1,200}$/))),
});

export const StateAtQuery = Schema.Struct({ at: Instant });

export const VerifyRequest = Schema.Struct({
  jobId: Schema.optionalKey(JobId),
  /** The system has drained: every job must be terminal. */
  drained: Schema.optionalKey(Schema.Boolean),
});

export const ExportQuery = Schema.Struct({
  jobId: Schema.optionalKey(JobId),
  since: Schema.optionalKey(Instant),
});

export const DeadLettersQuery = Schema.Struct({ limit: Schema.optionalKey(Limit) });

export const BulkSubmitRequest = Schema.Struct({
  jobs: Schema.Array(Schema.Unknown).check(Schema.isMinLength(1), Schema.isMaxLength(MAX_BULK)),
});

export const CancelRequest = Schema.Struct({ reason: Schema.optionalKey(Reason) });

export const RetryRequest = Schema.Struct({
  reason: Schema.optionalKey(Reason),
  /** Attempts to grant (default: the job's own maxAttempts). */
  attempts: Schema.optionalKey(PositiveInt.check(Schema.isLessThanOrEqualTo(1000))),
});

/** `POST /v1/projections/quarantine`: skip one undecodable shard-log entry (ADR 0019). */
export const QuarantineRequest = Schema.Struct({
  shard: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(1023)),
  /** A stream entry id, "<ms>-<seq>". */
  entryId: Schema.String.check(Schema.isPattern(/^[0-9]{1,20}-[0-9]{1,20}$/)),
  /** Why it is skipped: recorded with the actor, listed by verify. */
  reason: Reason,
});

export const QuarantineRecordSchema = Schema.Struct({
  shard: Schema.Int,
  entryId: Schema.String,
  jobId: Schema.NullOr(Schema.String),
  digest: Schema.String,
  problem: Schema.String,
  reason: Schema.String,
  actor: Actor,
  at: Timestamp,
});

export const EventStreamQuery = Schema.Struct({
  jobId: Schema.optionalKey(JobId),
  type: Schema.optionalKey(Name),
});

// ---- responses (documentation; the server builds them from engine types) --------------------

export const JobViewSchema = Schema.Struct({
  id: JobId,
  status: JobStatusSchema,
  type: Name,
  queue: Name,
  priority: Priority,
  attempts: Schema.Int,
  maxAttempts: Schema.Int,
  createdAt: Timestamp,
  queuedAt: Schema.NullOr(Timestamp),
  startedAt: Schema.NullOr(Timestamp),
  endedAt: Schema.NullOr(Timestamp),
  runAt: Schema.NullOr(Timestamp),
  progress: Schema.NullOr(Progress),
  result: Schema.NullOr(Schema.Json),
  error: Schema.NullOr(AttemptError),
  cancelReason: Schema.NullOr(Schema.String),
  idempotencyKey: Schema.NullOr(Schema.String),
  version: Schema.Int,
  lastHash: Schema.String,
  updatedAt: Timestamp,
});

export const JobPageSchema = Schema.Struct({
  jobs: Schema.Array(JobViewSchema),
  nextCursor: Schema.optionalKey(Schema.String),
});

export const EventsResponse = Schema.Struct({ events: Schema.Array(EnvelopeSchema) });

// The audit reports (src/engine/audit): their JSON forms as returned by the audit routes.

const Finding = Schema.Struct({ seq: Schema.Int, code: Schema.String, message: Schema.String });

export const StateSummarySchema = Schema.Struct({
  status: JobStatusSchema,
  attempt: Schema.Int,
  maxAttempts: Schema.Int,
  dueAt: Schema.NullOr(Timestamp),
  lastError: Schema.NullOr(AttemptError),
  progress: Schema.NullOr(Progress),
  result: Schema.NullOr(Schema.Json),
});

export const ReplayReportSchema = Schema.Struct({
  jobId: JobId,
  ok: Schema.Boolean,
  anchor: Schema.NullOr(Schema.Struct({ version: Schema.Int, lastHash: Schema.String })),
  events: Schema.Array(
    Schema.Struct({
      seq: Schema.Int,
      at: Timestamp,
      actor: Actor,
      type: EventTypeSchema,
      data: Schema.Unknown,
      hash: Hash,
      state: StateSummarySchema,
    }),
  ),
  storedEvents: Schema.Int,
  final: Schema.NullOr(StateSummarySchema),
  failure: Schema.NullOr(Finding),
});

export const StateAtSchema = Schema.Struct({
  jobId: JobId,
  asOf: Timestamp,
  existed: Schema.Boolean,
  seq: Schema.Int,
  eventAt: Schema.NullOr(Timestamp),
  state: Schema.NullOr(StateSummarySchema),
  view: Schema.NullOr(JobViewSchema),
  failure: Schema.NullOr(Finding),
});

export const JobsAtSchema = Schema.Struct({
  status: JobStatusSchema,
  asOf: Timestamp,
  /** Matching jobs as they were at `asOf`, oldest first, at most `limit`. */
  jobs: Schema.Array(JobViewSchema),
  /** All matching jobs (`jobs` holds the first `limit` of them). */
  total: Schema.Int,
  scanned: Schema.Struct({ entries: Schema.Int, jobs: Schema.Int }),
  unreadable: Schema.Array(Schema.Struct({ jobId: Schema.String, seq: Schema.Int, reason: Schema.String })),
});

export const VerifyReportSchema = Schema.Struct({
  ok: Schema.Boolean,
  scope: Schema.Struct({ jobId: Schema.NullOr(JobId), drained: Schema.Boolean }),
  checks: Schema.Array(Schema.String),
  skipped: Schema.Array(Schema.Struct({ check: Schema.String, reason: Schema.String })),
  counts: Schema.Struct({
    shards: Schema.Int,
    jobs: Schema.Int,
    events: Schema.Int,
    logEntries: Schema.Int,
    failures: Schema.Int,
    jobsFailed: Schema.Int,
    quarantined: Schema.Int,
    byStatus: Schema.Record(Schema.String, Schema.Int),
  }),
  failures: Schema.Array(
    Schema.Struct({
      check: Schema.String,
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
});

export const ErrorResponse = Schema.Struct({
  error: Schema.Struct({ code: Schema.String, message: Schema.String }),
});

export const BulkSubmitResponse = Schema.Struct({
  jobs: Schema.Array(
    Schema.Union([
      Schema.Struct({ index: Schema.Int, id: JobId, status: JobStatusSchema, created: Schema.Boolean }),
      Schema.Struct({ index: Schema.Int, error: ErrorResponse.fields.error }),
    ]),
  ),
});

// ---- decoding ---------------------------------------------------------------------------------

/**
 * Decode untrusted input or throw a 400 naming the first bad field. Unknown fields are refused:
 * a typo must never silently fall back to a default.
 */
export const decodeOrThrow = <S extends Schema.Top>(
  schema: S,
  input: unknown,
  where: "body" | "query" | "params",
): S["Type"] => {
  const decoded = Schema.decodeUnknownResult(schema as unknown as Schema.Codec<S["Type"], unknown>)(input, {
    onExcessProperty: "error",
  });
  if (Result.isSuccess(decoded)) return decoded.success;
  const { field, message } = firstIssue(decoded.failure);
  const at = field === "(body)" ? where : `${where}.${field}`;
  throw new ApiError(400, "invalid_request", `${at}: ${message}`, { field: at });
};
