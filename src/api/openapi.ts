/**
 * The OpenAPI 3.1 document served at `/openapi.json`, generated from the very Effect schemas
 * that validate requests (schemas.ts), so the published contract is the enforced one.
 */
import * as JsonSchema from "effect/JsonSchema";
import * as Schema from "effect/Schema";
import { ActorClaim } from "../domain/index.ts";
import {
  BulkSubmitRequest,
  BulkSubmitResponse,
  CancelRequest,
  ErrorResponse,
  EventsResponse,
  JobPageSchema,
  JobsAtSchema,
  JobViewSchema,
  QuarantineRecordSchema,
  QuarantineRequest,
  ReplayReportSchema,
  RetryRequest,
  StateAtSchema,
  SubmitRequest,
  VerifyReportSchema,
  VerifyRequest,
} from "./schemas.ts";

type Json = Record<string, unknown>;

const definitions: Record<string, unknown> = {};

/** A schema as OpenAPI 3.1 JSON Schema; shared definitions go to components.schemas. */
const jsonSchema = (schema: Schema.Top): Json => {
  const document = Schema.toJsonSchemaDocument(schema, { onExcessProperty: "error" });
  const openApi = JsonSchema.toMultiDocumentOpenApi3_1({
    dialect: document.dialect,
    schemas: [document.schema],
    definitions: document.definitions,
  });
  Object.assign(definitions, openApi.definitions);
  return openApi.schemas[0] as Json;
};

const json = (schema: Schema.Top) => ({ content: { "application/json": { schema: jsonSchema(schema) } } });
const error = (description: string) => ({ description, ...json(ErrorResponse) });
const jobIdParam = { name: "id", in: "path", required: true, schema: { type: "string" } };
/** The caller's unauthenticated claim about itself (ADR 0017): recorded, never trusted. */
const actorClaimParam = {
  name: "Docket-Actor",
  in: "header",
  required: false,
  description:
    "What the caller says about itself, recorded in the events as `actor.unauthenticatedClaim` " +
    "beside the authenticated principal (`actor.id`, the bearer token's name). 1 to 128 of " +
    "A-Z a-z 0-9 _ . @ : -; anything else is a 400.",
  schema: jsonSchema(ActorClaim),
};
/** Every state-changing route: JSON only, even with nothing to send (no cross-origin simple requests). */
const jsonOnly = {
  "415": error("Content-Type is not application/json (required on every POST, even with an empty body)"),
};
/** The allow-list: served without a token. Every other operation inherits the bearer requirement. */
const open = { security: [] };
const query = (name: string, description: string, schema: Json = { type: "string" }, required = false) => ({
  name,
  in: "query",
  required,
  description,
  schema,
});

export const openApiDocument = (): Json => {
  const job = { description: "The job", ...json(JobViewSchema) };
  const common = { "400": error("Bad request"), "401": error("Missing or wrong bearer token") };
  const writes = { ...common, ...jsonOnly };
  const paths: Json = {
    "/v1/jobs": {
      post: {
        summary: "Submit a job",
        parameters: [
          { name: "Idempotency-Key", in: "header", required: false, schema: { type: "string" } },
          actorClaimParam,
        ],
        requestBody: { required: true, ...json(SubmitRequest) },
        responses: {
          "202": { description: "Accepted", ...json(JobViewSchema) },
          ...writes,
          "503": error("Redis unavailable"),
        },
      },
      get: {
        summary: "List jobs, newest first (from the projection); with `at`, the jobs in `status` then",
        description:
          "Without `at`: a page from the SQLite projection. With `at` (ISO 8601 or epoch ms; " +
          "`status` required; `type`, `queue`, `cursor` refused): time travel from the event log — " +
          "one scan of every shard log (O(log entries)) plus one job-history read per returned job; " +
          "answers `JobsAt` (views as of then, oldest first, at most `limit`; `total` counts all).",
        parameters: [
          query("status", "Filter by status (required with `at`)"),
          query("at", "Time travel: ISO 8601 time or epoch ms"),
          query("type", "Filter by job type"),
          query("queue", "Filter by queue"),
          query("limit", "Page size, 1..500 (default 50)"),
          query("cursor", "nextCursor of the previous page"),
        ],
        responses: {
          "200": {
            description: "A page of jobs (JobPage), or with `at` the jobs in that status then (JobsAt)",
            content: {
              "application/json": {
                schema: { oneOf: [jsonSchema(JobPageSchema), jsonSchema(JobsAtSchema)] },
              },
            },
          },
          ...common,
        },
      },
    },
    "/v1/jobs/bulk": {
      post: {
        summary: "Submit up to 1,000 jobs; each succeeds or fails on its own",
        parameters: [actorClaimParam],
        requestBody: { required: true, ...json(BulkSubmitRequest) },
        responses: { "202": { description: "Per-job outcomes", ...json(BulkSubmitResponse) }, ...writes },
      },
    },
    "/v1/jobs/{id}": {
      get: {
        summary: "A job's current state (read-your-writes)",
        parameters: [jobIdParam],
        responses: { "200": job, ...common, "404": error("No such job") },
      },
    },
    "/v1/jobs/{id}/events": {
      get: {
        summary: "A job's events exactly as hashed, with their hashes, in seq order",
        parameters: [jobIdParam],
        responses: {
          "200": { description: "Events", ...json(EventsResponse) },
          ...common,
          "404": error("No such job"),
        },
      },
    },
    "/v1/jobs/{id}/explain": {
      get: {
        summary:
          "Why the job ended where it did, in plain words (attempts, errors, who retried or cancelled it)",
        parameters: [jobIdParam],
        responses: { "200": { description: "The explanation" }, ...common, "404": error("No such job") },
      },
    },
    "/v1/jobs/{id}/replay": {
      get: {
        summary: "Replay a job from its stored events: each event with the state after it, checked",
        description:
          "200 even when the history is broken: `ok` is false and `failure` names the first bad event.",
        parameters: [jobIdParam],
        responses: {
          "200": { description: "The replay report", ...json(ReplayReportSchema) },
          ...common,
          "404": error("No such job"),
        },
      },
    },
    "/v1/jobs/{id}/state": {
      get: {
        summary: "A job's state as it was at a time, folded from its events",
        description: "Before the job's first event the answer is 200 with `existed: false`.",
        parameters: [jobIdParam, query("at", "ISO 8601 time or epoch ms", { type: "string" }, true)],
        responses: {
          "200": { description: "The state then", ...json(StateAtSchema) },
          ...common,
          "404": error("No such job"),
        },
      },
    },
    "/v1/audit/verify": {
      post: {
        summary: "Verify the event store (whole log or one job) and, for the whole log, the projection",
        description: "200 with `ok: false` and the failures when verification fails.",
        requestBody: { required: false, ...json(VerifyRequest) },
        responses: {
          "200": { description: "The verification report", ...json(VerifyReportSchema) },
          ...writes,
        },
      },
    },
    "/v1/audit/export": {
      get: {
        summary: "Export an audit bundle (NDJSON, docs/audit-bundle.md), streamed",
        parameters: [
          query("jobId", "Only this job"),
          query("since", "Only jobs with an event at or after this time (ISO 8601 or epoch ms)"),
        ],
        responses: {
          "200": { description: "application/x-ndjson: a header line, then one envelope per line" },
          ...common,
          "404": error("No such job (with jobId)"),
        },
      },
    },
    "/v1/jobs/{id}/cancel": {
      post: {
        summary: "Cancel a job (a running handler is aborted)",
        parameters: [jobIdParam, actorClaimParam],
        requestBody: { required: false, ...json(CancelRequest) },
        responses: {
          "200": job,
          ...writes,
          "404": error("No such job"),
          "409": error("Refused in this state"),
        },
      },
    },
    "/v1/jobs/{id}/retry": {
      post: {
        summary: "Retry a dead-lettered job",
        parameters: [jobIdParam, actorClaimParam],
        requestBody: { required: false, ...json(RetryRequest) },
        responses: { "200": job, ...writes, "404": error("No such job"), "409": error("Not dead-lettered") },
      },
    },
    "/v1/dead-letters": {
      get: {
        summary: "Dead-lettered jobs, newest first",
        parameters: [query("limit", "1..500 (default 50)")],
        responses: { "200": { description: "Jobs", ...json(JobPageSchema) }, ...common },
      },
    },
    "/v1/dead-letters/retry": {
      post: {
        summary: "Retry every dead letter",
        parameters: [actorClaimParam],
        requestBody: { required: false, ...json(CancelRequest) },
        responses: { "200": { description: "How many were requeued" }, ...writes },
      },
    },
    "/v1/metrics": {
      get: { summary: "Metrics as JSON", responses: { "200": { description: "Metrics" }, ...common } },
    },
    "/v1/workers": {
      get: {
        summary: "Live workers (the registry)",
        responses: { "200": { description: "Workers" }, ...common },
      },
    },
    "/v1/events": {
      get: {
        summary: "Server-Sent Events of new job events",
        parameters: [query("jobId", "Only this job's events"), query("type", "Only events of this type")],
        responses: { "200": { description: "text/event-stream" }, ...common },
      },
    },
    "/v1/projections/rebuild": {
      post: {
        summary: "Rebuild the projection from the log and swap it in",
        responses: {
          "200": { description: "Events replayed, time taken" },
          "409": error("projection_busy (a rebuild or check is running), or the log holds what halts it"),
          ...writes,
        },
      },
    },
    "/v1/projections/check": {
      post: {
        summary: "Rebuild into a scratch file and compare row for row",
        responses: {
          "200": { description: "equal, differences" },
          "409": error("projection_busy (a rebuild or check is running), or the log holds what halts it"),
          ...writes,
        },
      },
    },
    "/v1/projections/quarantine": {
      post: {
        summary: "Skip one undecodable shard-log entry in every projection, recorded with who and why",
        requestBody: { required: true, ...json(QuarantineRequest) },
        responses: {
          "201": { description: "The quarantine record", ...json(QuarantineRecordSchema) },
          "404": error("log_entry_not_found"),
          "409": error("log_entry_valid (a valid event is never skipped) or already_quarantined"),
          ...common,
        },
      },
    },
    "/metrics": {
      get: {
        summary: "Metrics in Prometheus text format (needs the token like every route off the allow-list)",
        responses: { "200": { description: "text/plain" }, "401": error("Missing or wrong bearer token") },
      },
    },
    "/health": {
      get: {
        summary: "Health: Redis latency, queue depth, workers, projection lag, the archiver (no auth)",
        ...open,
        responses: {
          "200": {
            description:
              'status "ok", or "degraded" with a reason when the projection is halted on a log entry or archiving is paused (archive_paused)',
          },
          "503": { description: "queue_unreachable" },
        },
      },
    },
    "/openapi.json": {
      get: {
        summary: "This document (no auth)",
        ...open,
        responses: { "200": { description: "The OpenAPI 3.1 document" } },
      },
    },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Docket",
      version: "1",
      description:
        "An event-sourced job engine. When the API has tokens, every operation needs " +
        "`Authorization: Bearer <token>` except those with an empty `security` (/health, " +
        "/openapi.json); the token's name is recorded as the actor of the events a call causes. " +
        "Every POST needs `Content-Type: application/json`, even with an empty body.",
    },
    paths,
    components: {
      schemas: definitions,
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
    security: [{ bearer: [] }],
  };
};
