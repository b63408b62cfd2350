/** The job routes: submit (one and bulk), read, list, events, cancel, retry, dead letters. */
import * as A from "./audit.ts";
import * as F from "./flows.ts";
import * as J from "./jobs.ts";
import * as L from "./job-logs.ts";
import * as R from "./requests.ts";
import {
  actorClaim,
  type Answer,
  anyRequest,
  error,
  notFound,
  type Operation,
  redis,
  traceparent,
  writes,
} from "./operation.ts";

const job: Answer = { description: "The job", schema: J.JobView };

export const JOB_OPERATIONS: ReadonlyArray<Operation> = [
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
      traceparent,
    ],
    body: { schema: R.SubmitRequest, required: true },
    responses: {
      202: { description: "Accepted", schema: J.JobView },
      ...writes,
      ...redis,
      422: error(
        "The job's webhook points where the deployment refuses to deliver (`webhook_url_not_allowed`), or its dependsOn names no job (`dependency_not_found`) or a cycle (`dependency_cycle`)",
      ),
    },
  },
  {
    method: "POST",
    path: "/v1/flows",
    summary: "Submit a flow: a parent job and its children (and theirs), all or nothing",
    description:
      "The parent waits (`waiting`) until its children end, each child for its own children; " +
      "a child's `onFailure` says what its failure does to its parent: `fail` (default: the " +
      "parent is dead-lettered by policy), `ignore` (it counts as an end) or `continue` (the " +
      "parent is released at once). At most 100 jobs, 8 levels under the parent; only the " +
      "parent may carry an idempotencyKey. Answers the ids as a tree (ADR 0042).",
    headers: [actorClaim, traceparent],
    body: { schema: F.FlowRequest, required: true },
    responses: {
      202: { description: "The flow's jobs as a tree", schema: F.FlowSubmitted },
      ...writes,
      ...redis,
      422: error(
        "A job's dependsOn names no job (`dependency_not_found`) or a cycle (`dependency_cycle`), or a webhook is refused (`webhook_url_not_allowed`)",
      ),
    },
  },
  {
    method: "GET",
    path: "/v1/jobs/:id/tree",
    summary: "A job and the jobs it depends on, and theirs (read from Redis)",
    params: R.JobIdParams,
    responses: {
      200: { description: "The tree", schema: F.JobTree },
      ...anyRequest,
      ...notFound,
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
        createdFrom: "Created at or after this time (ISO 8601 or epoch ms)",
        createdTo: "Created before this time (ISO 8601 or epoch ms)",
        endedFrom: "Ended (completed, dead-lettered or cancelled) at or after this time",
        endedTo: "Ended before this time",
        errorCode: "The latest attempt's error code is this",
        errorText:
          "The latest attempt's error message contains this text (literally, ASCII case-insensitive)",
        metaKey: "The job's meta has this top-level member (letters, digits, `_`, `-`)",
        metaValue:
          "With `metaKey`: that member is this string, or a value whose JSON text is this (`42`, `true`, `null`)",
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
    headers: [actorClaim, traceparent],
    body: { schema: R.BulkSubmitRequest, required: true },
    responses: {
      202: { description: "Per-job outcomes", schema: J.BulkSubmitted },
      ...writes,
      ...redis,
      422: error(
        "A job's webhook points where the deployment refuses to deliver (`webhook_url_not_allowed`)",
      ),
    },
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
    path: "/v1/jobs/:id/logs",
    summary: "A job's log: its handler's lines and lifecycle lines derived from its events, in seq order",
    description:
      "Lifecycle lines (`source: docket`) are derived from the job's events when read: " +
      "`Executing <type> job (attempt n of m) on <worker>`, `Job OK (<ms> ms)`, " +
      "`Job failed: <code>: <message>`, and the submit, queueing, dead letter, cancel and retry. " +
      "Lines the handler logged (`ctx.log`) have `source: handler`. Follow a running job's log " +
      "with `GET /v1/events?jobId=` (or `docket jobs logs <id> --follow`).",
    params: R.JobIdParams,
    responses: { 200: { description: "Log lines", schema: L.JobLogs }, ...anyRequest, ...notFound, ...redis },
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
      409: error(
        "Refused in this state (`illegal_transition`), recorded as evicted or gone from Redis with its " +
          "retention (`job_evicted`, with the status it ended in), or lost every race (`contention`)",
      ),
      ...redis,
    },
  },
  {
    method: "POST",
    path: "/v1/jobs/:id/signal",
    summary: "Send a signal to a job (its handler's ctx.waitFor)",
    description:
      "Recorded as a SignalReceived event. A job suspended waiting for this name is queued again " +
      "at once; a job that is not (yet) waiting for it keeps it, and its handler's `waitFor(name)` " +
      "returns it without waiting. Each name is received once per job: a second signal of the " +
      "same name is refused (`signal_already_received`), so a client retrying a signal can tell " +
      "that it was delivered. A finished job refuses signals (`illegal_transition`).",
    params: R.JobIdParams,
    headers: [actorClaim],
    body: { schema: R.SignalRequest, required: true },
    responses: {
      200: job,
      ...writes,
      ...notFound,
      409: error(
        "Already received (`signal_already_received`), the job has finished (`illegal_transition`; " +
          "`job_evicted` once recorded as evicted), it holds its most signals (`too_many_signals`), or lost every race (`contention`)",
      ),
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
      409: error(
        "Not dead-lettered (`illegal_transition`), recorded as evicted or gone from Redis with its " +
          "retention (`job_evicted`), or lost every race (`contention`)",
      ),
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
    path: "/v1/jobs/purge",
    summary: "Purge finished jobs from Redis (recorded; their history stays in the archive)",
    headers: [actorClaim],
    body: { schema: R.PurgeRequest, required: true },
    responses: {
      200: { description: "How many were recorded as purged", schema: J.Purged },
      ...writes,
      ...redis,
    },
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
];
