/** The audit routes: explain, replay, time travel, verify, export (docs/audit.md). */
import * as A from "./audit.ts";
import * as R from "./requests.ts";
import { anyRequest, error, notFound, redis, writes, type Operation } from "./operation.ts";

export const AUDIT_OPERATIONS: ReadonlyArray<Operation> = [
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
];
