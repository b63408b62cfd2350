/**
 * The HTTP API's request and response schemas (Effect Schema). The same schemas validate every
 * request (`decodeOrThrow`) and generate the OpenAPI document (openapi.ts), so the published
 * contract cannot drift from what the server accepts.
 */
import { Result, Schema } from "effect";
import {
  AttemptError,
  EnvelopeSchema,
  EVENT_TYPES,
  JOB_STATES,
  JobId,
  Name,
  PositiveInt,
  Priority,
  Progress,
  Timestamp,
} from "../domain/index.ts";
import { firstIssue } from "../engine/schema-errors.ts";
import { SubmitRequest } from "../engine/submit-request.ts";
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

export const ListJobsQuery = Schema.Struct({
  status: Schema.optionalKey(JobStatusSchema),
  type: Schema.optionalKey(Name),
  queue: Schema.optionalKey(Name),
  limit: Schema.optionalKey(Limit),
  cursor: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_-]{1,200}$/))),
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
