/**
 * The API's one table of operations: for each route its method, path, whether it is public (no
 * token), what it takes (path, query, headers, body) and what it answers, per status. The OpenAPI
 * document is generated from this table (src/api/openapi.ts); the API's integration tests decode
 * every answer they get against the entry for its route and status (test/support/contract.ts);
 * a test fails when fastify registers a route this table does not list, or the other way round.
 *
 * Error statuses come in groups (`anyRequest`, `writes`, `redis`) because the HTTP edge raises
 * them for every route alike (auth, host check, body parsing, Redis outages).
 */
import type * as Schema from "effect/Schema";
import { ActorClaim } from "../domain/index.ts";
import * as A from "./audit.ts";
import { ErrorBody } from "./errors.ts";
import * as J from "./jobs.ts";
import * as O from "./operator.ts";
import * as R from "./requests.ts";

/** An answer: JSON decoded by `schema`, or another media type (a stream, text) checked by type only. */
export type Answer =
  | { readonly description: string; readonly schema: Schema.Top }
  | { readonly description: string; readonly mediaType: string };

export interface HeaderParameter {
  readonly name: string;
  readonly description: string;
  readonly schema?: Schema.Top;
}

export interface Operation {
  readonly method: "GET" | "POST";
  /** In fastify's form: `/v1/jobs/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  /** Served without a token (the allow-list, ADR 0017). */
  readonly public?: true;
  readonly params?: Schema.Top;
  readonly query?: { readonly schema: Schema.Top; readonly describe: Readonly<Record<string, string>> };
  readonly headers?: ReadonlyArray<HeaderParameter>;
  readonly body?: { readonly schema: Schema.Top; readonly required: boolean };
  readonly responses: Readonly<Record<number, Answer>>;
}

const error = (description: string): Answer => ({ description, schema: ErrorBody });

/** What any request may be refused with before its handler runs. */
const anyRequest = {
  400: error(
    "Bad request: a malformed URL or header, or an invalid parameter (`invalid_request` names the field)",
  ),
  401: error("Missing or wrong bearer token (`unauthorized`)"),
  403: error("Without tokens, a Host other than localhost or an IP address (`host_not_allowed`)"),
  414: error("A path parameter too long (`uri_too_long`)"),
  431: error("Headers too large (`headers_too_large`)"),
} as const;

/** Every state-changing route: JSON only, even with nothing to send (no cross-origin simple requests). */
const writes = {
  ...anyRequest,
  413: error("Body too large (`body_too_large`)"),
  415: error("Content-Type is not application/json (required on every POST, even with an empty body)"),
} as const;

/** Routes that read or write Redis. */
const redis = { 503: error("Redis unavailable (`queue_unavailable`)") } as const;

const notFound = { 404: error("No such job (`job_not_found`)") } as const;

const actorClaim: HeaderParameter = {
  name: "Docket-Actor",
  description:
    "What the caller says about itself, recorded in the events as `actor.unauthenticatedClaim` " +
    "beside the authenticated principal (`actor.id`, the bearer token's name). 1 to 128 of " +
    "A-Z a-z 0-9 _ . @ : -; anything else is a 400.",
  schema: ActorClaim,
};

const job: Answer = { description: "The job", schema: J.JobView };

export const OPERATIONS: ReadonlyArray<Operation> = [
  {
    method: "POST",
    path: "/v1/jobs",
    summary: "Submit a job",
    headers: [
      {
        name: "Idempotency-Key",
        description: "A repeat with the same key answers the first job, with `Idempotent-Replayed: true`",
      },
      actorClaim,
    ],
    body: { schema: R.SubmitRequest, required: true },
    responses: {
      202: { description: "Accepted", schema: J.JobView },
      ...writes,
      ...redis,
    },
  },
  {
    method: "GET",
    path: "/v1/jobs",
    summary: "List jobs, newest first (from the projection); with `at`, the jobs in `status` then",
    description:
      "Without `at`: a page from the SQLite projection. With `at` (ISO 8601 or epoch ms; " +
      "`status` required; `type`, `queue`, `cursor` refused): time travel from the event log — " +
      "one scan of every shard log (O(log entries)) plus one job-history read per returned job; " +
      "answers `JobsAt` (views as of then, oldest first, at most `limit`; `total` counts all).",
    query: {
      schema: R.ListJobsQuery,
      describe: {
        status: "Filter by status (required with `at`)",
        at: "Time travel: ISO 8601 time or epoch ms",
        type: "Filter by job type",
        queue: "Filter by queue",
        limit: "Page size, 1..500 (default 50)",
        cursor: "nextCursor of the previous page",
      },
    },
    responses: {
      200: {
        description: "A page of jobs (JobPage), or with `at` the jobs in that status then (JobsAt)",
        schema: A.JobListing,
      },
      ...anyRequest,
      ...redis,
      422: error("Time travel would scan more log entries than allowed (`scan_limit_exceeded`)"),
      429: error("Too many time-travel scans at once (`time_travel_busy`, with Retry-After)"),
    },
  },
  {
    method: "POST",
    path: "/v1/jobs/bulk",
    summary: "Submit up to 1,000 jobs; each succeeds or fails on its own",
    headers: [actorClaim],
    body: { schema: R.BulkSubmitRequest, required: true },
    responses: { 202: { description: "Per-job outcomes", schema: J.BulkSubmitted }, ...writes, ...redis },
  },
  {
    method: "GET",
    path: "/v1/jobs/:id",
    summary: "A job's current state (read-your-writes)",
    params: R.JobIdParams,
    responses: { 200: job, ...anyRequest, ...notFound, ...redis },
  },
  {
    method: "GET",
    path: "/v1/jobs/:id/events",
    summary: "A job's events exactly as hashed, with their hashes, in seq order",
    params: R.JobIdParams,
    responses: { 200: { description: "Events", schema: J.JobEvents }, ...anyRequest, ...notFound, ...redis },
  },
  {
    method: "GET",
    path: "/v1/jobs/:id/explain",
    summary: "Why the job ended where it did, in plain words (attempts, errors, who retried or cancelled it)",
    params: R.JobIdParams,
    responses: {
      200: { description: "The explanation", schema: A.Explanation },
      ...anyRequest,
      ...notFound,
      ...redis,
    },
  },
  {
    method: "GET",
    path: "/v1/jobs/:id/replay",
    summary: "Replay a job from its stored events: each event with the state after it, checked",
    description:
      "200 even when the history is broken: `ok` is false and `failure` names the first bad event.",
    params: R.JobIdParams,
    responses: {
      200: { description: "The replay report", schema: A.ReplayReport },
      ...anyRequest,
      ...notFound,
      ...redis,
    },
  },
  {
    method: "GET",
    path: "/v1/jobs/:id/state",
    summary: "A job's state as it was at a time, folded from its events",
    description: "Before the job's first event the answer is 200 with `existed: false`.",
    params: R.JobIdParams,
    query: { schema: R.StateAtQuery, describe: { at: "ISO 8601 time or epoch ms" } },
    responses: {
      200: { description: "The state then", schema: A.StateAt },
      ...anyRequest,
      ...notFound,
      ...redis,
    },
  },
  {
    method: "POST",
    path: "/v1/jobs/:id/cancel",
    summary: "Cancel a job (a running handler is aborted)",
    params: R.JobIdParams,
    headers: [actorClaim],
    body: { schema: R.CancelRequest, required: false },
    responses: {
      200: job,
      ...writes,
      ...notFound,
      409: error("Refused in this state (`command_refused`), or lost every race (`contention`)"),
      ...redis,
    },
  },
  {
    method: "POST",
    path: "/v1/jobs/:id/retry",
    summary: "Retry a dead-lettered job",
    params: R.JobIdParams,
    headers: [actorClaim],
    body: { schema: R.RetryRequest, required: false },
    responses: {
      200: job,
      ...writes,
      ...notFound,
      409: error("Not dead-lettered (`command_refused`), or lost every race (`contention`)"),
      ...redis,
    },
  },
  {
    method: "GET",
    path: "/v1/dead-letters",
    summary: "Dead-lettered jobs, newest first",
    query: { schema: R.DeadLettersQuery, describe: { limit: "1..500 (default 50)" } },
    responses: { 200: { description: "Jobs", schema: J.DeadLetters }, ...anyRequest, ...redis },
  },
  {
    method: "POST",
    path: "/v1/dead-letters/retry",
    summary: "Retry every dead letter",
    headers: [actorClaim],
    body: { schema: R.CancelRequest, required: false },
    responses: {
      200: { description: "How many were requeued", schema: J.RetriedDeadLetters },
      ...writes,
      ...redis,
    },
  },
  {
    method: "POST",
    path: "/v1/audit/verify",
    summary: "Verify the event store (whole log or one job) and, for the whole log, the projection",
    description: "200 with `ok: false` and the failures when verification fails.",
    body: { schema: R.VerifyRequest, required: false },
    responses: {
      200: { description: "The verification report", schema: A.VerifyReport },
      ...writes,
      409: error("The projection comparison is refused: `projection_busy` or what halts the projector"),
      ...redis,
    },
  },
  {
    method: "GET",
    path: "/v1/audit/export",
    summary: "Export an audit bundle (NDJSON, docs/audit-bundle.md), streamed",
    query: {
      schema: R.ExportQuery,
      describe: {
        jobId: "Only this job",
        since: "Only jobs with an event at or after this time (ISO 8601 or epoch ms)",
      },
    },
    responses: {
      200: {
        description: "A header line, then one envelope per line",
        mediaType: "application/x-ndjson",
      },
      ...anyRequest,
      404: error("No such job (with jobId: `job_not_found`)"),
      ...redis,
    },
  },
  {
    method: "GET",
    path: "/v1/metrics",
    summary: "Metrics as JSON",
    responses: { 200: { description: "Metrics", schema: O.Metrics }, ...anyRequest, ...redis },
  },
  {
    method: "GET",
    path: "/metrics",
    summary: "Metrics in Prometheus text format (needs the token like every route off the allow-list)",
    responses: {
      200: { description: "Prometheus text exposition 0.0.4", mediaType: "text/plain" },
      ...anyRequest,
      ...redis,
    },
  },
  {
    method: "GET",
    path: "/v1/workers",
    summary: "Live workers (the registry)",
    responses: { 200: { description: "Workers", schema: O.Workers }, ...anyRequest, ...redis },
  },
  {
    method: "GET",
    path: "/v1/events",
    summary: "Server-Sent Events of new job events",
    query: {
      schema: R.EventStreamQuery,
      describe: { jobId: "Only this job's events", type: "Only events of this type" },
    },
    responses: {
      200: {
        description: "One message per event, as the projector commits it",
        mediaType: "text/event-stream",
      },
      ...anyRequest,
      503: error("As many event streams are open as allowed (`event_streams_full`)"),
    },
  },
  {
    method: "POST",
    path: "/v1/projections/rebuild",
    summary: "Rebuild the projection from the log and swap it in",
    responses: {
      200: { description: "Events replayed, time taken", schema: O.RebuildReport },
      ...writes,
      409: error("projection_busy (a rebuild or check is running), or the log holds what halts it"),
      ...redis,
    },
  },
  {
    method: "POST",
    path: "/v1/projections/check",
    summary: "Rebuild into a scratch file and compare row for row",
    responses: {
      200: { description: "Equal, or the differences", schema: O.CheckReport },
      ...writes,
      409: error("projection_busy (a rebuild or check is running), or the log holds what halts it"),
      ...redis,
    },
  },
  {
    method: "POST",
    path: "/v1/projections/quarantine",
    summary: "Skip one undecodable shard-log entry in every projection, recorded with who and why",
    body: { schema: R.QuarantineRequest, required: true },
    responses: {
      201: { description: "The quarantine record", schema: O.QuarantineRecord },
      ...writes,
      404: error("No such entry (`log_entry_not_found`)"),
      409: error("log_entry_valid (a valid event is never skipped) or already_quarantined"),
      ...redis,
    },
  },
  {
    method: "GET",
    path: "/health",
    summary: "Health: Redis latency, queue depth, workers, projection lag (no auth)",
    public: true,
    responses: {
      200: {
        description: 'status "ok", or "degraded" with a reason when the projection is halted on a log entry',
        schema: O.Health,
      },
      400: anyRequest[400],
      503: { description: "Redis is unreachable (`queue_unreachable`)", schema: O.HealthUnavailable },
    },
  },
  {
    method: "GET",
    path: "/openapi.json",
    summary: "This document (no auth)",
    public: true,
    responses: {
      200: { description: "The OpenAPI 3.1 document", schema: O.OpenApiDocument },
      400: anyRequest[400],
    },
  },
];

/** The operation for a route as fastify names it (`HEAD` answers as its `GET`), if any. */
export const operationOf = (method: string, path: string): Operation | undefined => {
  const wanted = method === "HEAD" ? "GET" : method;
  return OPERATIONS.find((operation) => operation.method === wanted && operation.path === path);
};

/**
 * What an answer to a request that matched no route may be: an error body (404
 * `route_not_found`, or the refusals every request may get first).
 */
export const UNROUTED: Readonly<Record<number, Answer>> = {
  ...anyRequest,
  404: error("No such route (`route_not_found`)"),
  405: error("Method not allowed"),
};
