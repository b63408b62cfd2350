/**
 * Every error the API answers with, in one table: an error tag (from the engine or from the
 * HTTP edge) maps to an HTTP status and a stable `code`. Bodies are always
 * `{ "error": { "code", "message", ...details } }` (the contract's ErrorBody, src/contract/errors.ts);
 * bad input is always a 4xx, never a 5xx.
 */
import type { EngineError } from "../engine/shared/index.ts";
import type { ArchiveCorrupt } from "../engine/archive/index.ts";
import type {
  AlreadyQuarantined,
  ArchiveBehind,
  ArchiveKeyUnusable,
  ArchiveNeeded,
  InvalidCursor,
  LogEntryInvalid,
  LogEntryNotFound,
  LogEntryValid,
  ProjectionBusy,
  ProjectionDiverged,
  ProjectionLogMismatch,
} from "../engine/read/index.ts";
import type { ScanLimitExceeded } from "../engine/audit/index.ts";
import type { ScheduleError } from "../engine/schedule/index.ts";
import type { ErrorBody, ErrorDetail } from "../contract/index.ts";

type TaggedError =
  | EngineError
  | InvalidCursor
  | ProjectionBusy
  | ProjectionDiverged
  | ProjectionLogMismatch
  | LogEntryInvalid
  | LogEntryNotFound
  | LogEntryValid
  | AlreadyQuarantined
  | ScanLimitExceeded
  | ScheduleError
  | ArchiveNeeded
  | ArchiveBehind
  | ArchiveKeyUnusable
  | ArchiveCorrupt;

/** The details an error body may carry beside its code and message (the contract's closed set). */
export type ErrorDetails = Omit<ErrorDetail, "code" | "message">;

/** An error raised by the HTTP edge itself (bad request shape, auth, unknown route). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetails = {},
    /** Response headers to send with it (e.g. Retry-After on a 429 or 503). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** Engine errors by tag: status and code. CommandRefused carries its own code (decide.ts). */
const ENGINE_ERRORS: Record<TaggedError["_tag"], { readonly status: number; readonly code: string }> = {
  InvalidCursor: { status: 400, code: "invalid_cursor" },
  ProjectionBusy: { status: 409, code: "projection_busy" },
  // The projection cannot follow the log any more (a check or rebuild met what halts the
  // projector); the message says which shard and entry, and to rebuild.
  ProjectionDiverged: { status: 409, code: "projection_diverged" },
  ProjectionLogMismatch: { status: 409, code: "projection_log_mismatch" },
  LogEntryInvalid: { status: 409, code: "log_entry_invalid" },
  // Quarantine (ADR 0019): no such entry; a valid event (never hidden); already quarantined.
  LogEntryNotFound: { status: 404, code: "log_entry_not_found" },
  LogEntryValid: { status: 409, code: "log_entry_valid" },
  AlreadyQuarantined: { status: 409, code: "already_quarantined" },
  // A whole-log scan longer than the API allows (ADR 0019): refused before any work.
  ScanLimitExceeded: { status: 422, code: "scan_limit_exceeded" },
  InvalidJobSpec: { status: 400, code: "invalid_job_spec" },
  JobNotFound: { status: 404, code: "job_not_found" },
  // ADR 0042: the error carries its own code (dependency_not_found, dependency_cycle).
  DependencyRefused: { status: 422, code: "dependency_refused" },
  CommandRefused: { status: 409, code: "command_refused" },
  ContentionExhausted: { status: 409, code: "contention" },
  QueueUnavailable: { status: 503, code: "queue_unavailable" },
  // History that left Redis (ADR 0034) and cannot be read back: this process has no archive,
  // the archive holds less than Redis says was archived, or a segment of it is missing or does
  // not check out against its signed checkpoint (tampered). Never answered with part of it.
  ArchiveNeeded: { status: 503, code: "archive_needed" },
  ArchiveBehind: { status: 503, code: "archive_behind" },
  ArchiveKeyUnusable: { status: 503, code: "archive_key_unusable" },
  ArchiveCorrupt: { status: 503, code: "archive_corrupt" },
  // Schedules (ADR 0037); InvalidSchedule carries its own code (invalid_cron, ...).
  InvalidSchedule: { status: 400, code: "invalid_schedule" },
  ScheduleNotFound: { status: 404, code: "schedule_not_found" },
  ScheduleExists: { status: 409, code: "schedule_exists" },
  ScheduleRefused: { status: 409, code: "schedule_refused" },
  ScheduleLimitReached: { status: 422, code: "schedule_limit" },
};

/** Fastify's own errors for bad requests, by its error code. */
const FASTIFY_ERRORS: Record<string, { readonly status: number; readonly code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: "body_too_large" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: "unsupported_media_type" },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: "invalid_content_length" },
  FST_ERR_CTP_INVALID_TYPE: { status: 400, code: "invalid_content_type" },
  FST_ERR_BAD_URL: { status: 400, code: "bad_url" },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: "uri_too_long" },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: "bad_request" },
};

/** Codes for other client errors fastify raises, by status. */
const CLIENT_ERROR_CODES: Readonly<Record<number, string>> = {
  403: "forbidden",
  404: "route_not_found",
  405: "method_not_allowed",
  413: "body_too_large",
  414: "uri_too_long",
  415: "unsupported_media_type",
  431: "headers_too_large",
};

const isEngineError = (error: unknown): error is TaggedError =>
  typeof error === "object" &&
  error !== null &&
  "_tag" in error &&
  typeof error._tag === "string" &&
  Object.hasOwn(ENGINE_ERRORS, error._tag);

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : "unknown error";

/** The status and body for any thrown value. Unknown errors are 500 `internal_error`. */
export const errorResponse = (error: unknown): { readonly status: number; readonly body: ErrorBody } => {
  if (error instanceof ApiError)
    return {
      status: error.status,
      body: { error: { code: error.code, message: error.message, ...error.details } },
    };
  if (isEngineError(error)) {
    const { status, code } = ENGINE_ERRORS[error._tag];
    switch (error._tag) {
      case "InvalidJobSpec":
        return {
          status,
          body: { error: { code, message: `${error.field}: ${error.message}`, field: error.field } },
        };
      case "CommandRefused":
        return {
          status,
          body: {
            error: { code: error.code, message: error.message, jobId: error.jobId, status: error.status },
          },
        };
      case "JobNotFound":
        return { status, body: { error: { code, message: error.message, jobId: error.jobId } } };
      case "QueueUnavailable":
        return {
          status,
          body: {
            error: {
              code,
              message: error.message,
              outcome: error.outcome,
              ...(error.jobId === undefined ? {} : { jobId: error.jobId }),
            },
          },
        };
      case "InvalidCursor":
        return { status, body: { error: { code, message: error.message } } };
      case "ProjectionBusy":
        return {
          status,
          body: {
            error: {
              code,
              message: error.message,
              ...(error.running === undefined ? {} : { running: error.running }),
            },
          },
        };
      case "ProjectionDiverged":
      case "ProjectionLogMismatch":
      case "LogEntryInvalid":
      case "LogEntryNotFound":
      case "LogEntryValid":
      case "AlreadyQuarantined":
        return {
          status,
          body: { error: { code, message: error.message, shard: error.shard, entryId: error.entryId } },
        };
      case "ScanLimitExceeded":
        return {
          status,
          body: { error: { code, message: error.message, entries: error.entries, limit: error.limit } },
        };
      case "InvalidSchedule":
        return {
          status,
          body: {
            error: { code: error.code, message: `${error.field}: ${error.message}`, field: error.field },
          },
        };
      case "ScheduleNotFound":
      case "ScheduleExists":
      case "ScheduleRefused":
        return { status, body: { error: { code, message: error.message, schedule: error.name } } };
      case "ScheduleLimitReached":
        return { status, body: { error: { code, message: error.message, limit: error.limit } } };
      case "ContentionExhausted":
        return { status, body: { error: { code, message: error.message, jobId: error.jobId } } };
      case "ArchiveNeeded":
      case "ArchiveBehind":
        return { status, body: { error: { code, message: error.message, shard: error.shard } } };
      case "ArchiveKeyUnusable":
        return { status, body: { error: { code, message: error.message } } };
      case "ArchiveCorrupt":
        return {
          status,
          body: {
            error: {
              code,
              message: error.message,
              shard: error.shard,
              segment: error.segment,
              finding: error.code,
            },
          },
        };
      case "DependencyRefused":
        return {
          status,
          body: { error: { code: error.code, message: error.message, jobId: error.dependency } },
        };
    }
  }
  const fastifyCode = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  // Own keys only: a code such as "constructor" must not match Object.prototype.
  const known =
    typeof fastifyCode === "string" && Object.hasOwn(FASTIFY_ERRORS, fastifyCode)
      ? FASTIFY_ERRORS[fastifyCode]
      : undefined;
  if (known !== undefined) {
    const { status, code } = known;
    return { status, body: { error: { code, message: messageOf(error) } } };
  }
  // Any other client error fastify raises (4xx statusCode) stays a client error.
  const statusCode =
    typeof error === "object" && error !== null && "statusCode" in error ? error.statusCode : undefined;
  if (typeof statusCode === "number" && statusCode >= 400 && statusCode < 500)
    return {
      status: statusCode,
      body: { error: { code: CLIENT_ERROR_CODES[statusCode] ?? "bad_request", message: messageOf(error) } },
    };
  return { status: 500, body: { error: { code: "internal_error", message: "internal error" } } };
};
