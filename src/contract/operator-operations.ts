/** The operator routes: metrics, workers, the event stream, projections, health, this document. */
import * as O from "./operator.ts";
import * as R from "./requests.ts";
import { anyRequest, error, type Operation, redis, writes } from "./operation.ts";

export const OPERATOR_OPERATIONS: ReadonlyArray<Operation> = [
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
    summary: "Server-Sent Events of job events, resumable with Last-Event-ID",
    query: {
      schema: R.EventStreamQuery,
      describe: { jobId: "Only this job's events", type: "Only events of this type" },
    },
    headers: [
      {
        name: "Last-Event-ID",
        description:
          "Resume after the message with this id: first the events after it, from the log, then " +
          "the live ones, each once. A stream of one job (`jobId`) has ids `<jobId>:<seq>` " +
          "(`<jobId>:0`: the job's whole history); any other stream has the log position, one " +
          "`<ms>-<seq>` entry id per shard separated by commas. Another form is a 400 " +
          "`invalid_last_event_id`.",
      },
    ],
    responses: {
      200: {
        description:
          "One message per event as the projector commits it (after the backlog when resuming): " +
          "`event:` its type, `data:` the envelope, `id:` where the stream stands",
        mediaType: "text/event-stream",
      },
      ...anyRequest,
      503: error(
        "As many event streams are open as allowed (`event_streams_full`), or Redis unavailable while resuming (`queue_unavailable`)",
      ),
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
    summary: "Health: Redis latency, queue depth, workers, projection lag, the archiver (no auth)",
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
