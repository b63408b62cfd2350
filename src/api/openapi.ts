/**
 * The OpenAPI 3.1 document served at `/openapi.json`, generated from the very Effect schemas
 * that validate requests (schemas.ts), so the published contract is the enforced one.
 */
import { JsonSchema, Schema } from "effect";
import {
  BulkSubmitRequest,
  BulkSubmitResponse,
  CancelRequest,
  ErrorResponse,
  EventsResponse,
  JobPageSchema,
  JobViewSchema,
  RetryRequest,
  SubmitRequest,
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
const query = (name: string, description: string, schema: Json = { type: "string" }) => ({
  name,
  in: "query",
  required: false,
  description,
  schema,
});

export const openApiDocument = (): Json => {
  const job = { description: "The job", ...json(JobViewSchema) };
  const common = { "400": error("Bad request"), "401": error("Missing or wrong bearer token") };
  const paths: Json = {
    "/v1/jobs": {
      post: {
        summary: "Submit a job",
        parameters: [{ name: "Idempotency-Key", in: "header", required: false, schema: { type: "string" } }],
        requestBody: { required: true, ...json(SubmitRequest) },
        responses: {
          "202": { description: "Accepted", ...json(JobViewSchema) },
          ...common,
          "503": error("Redis unavailable"),
        },
      },
      get: {
        summary: "List jobs, newest first (from the projection)",
        parameters: [
          query("status", "Filter by status"),
          query("type", "Filter by job type"),
          query("queue", "Filter by queue"),
          query("limit", "Page size, 1..500 (default 50)"),
          query("cursor", "nextCursor of the previous page"),
        ],
        responses: { "200": { description: "A page of jobs", ...json(JobPageSchema) }, ...common },
      },
    },
    "/v1/jobs/bulk": {
      post: {
        summary: "Submit up to 1,000 jobs; each succeeds or fails on its own",
        requestBody: { required: true, ...json(BulkSubmitRequest) },
        responses: { "202": { description: "Per-job outcomes", ...json(BulkSubmitResponse) }, ...common },
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
    "/v1/jobs/{id}/cancel": {
      post: {
        summary: "Cancel a job (a running handler is aborted)",
        parameters: [jobIdParam],
        requestBody: { required: false, ...json(CancelRequest) },
        responses: {
          "200": job,
          ...common,
          "404": error("No such job"),
          "409": error("Refused in this state"),
        },
      },
    },
    "/v1/jobs/{id}/retry": {
      post: {
        summary: "Retry a dead-lettered job",
        parameters: [jobIdParam],
        requestBody: { required: false, ...json(RetryRequest) },
        responses: { "200": job, ...common, "404": error("No such job"), "409": error("Not dead-lettered") },
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
        responses: { "200": { description: "How many were requeued" }, ...common },
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
        responses: { "200": { description: "Events replayed, time taken" }, ...common },
      },
    },
    "/v1/projections/check": {
      post: {
        summary: "Rebuild into a scratch file and compare row for row",
        responses: { "200": { description: "equal, differences" }, ...common },
      },
    },
    "/metrics": {
      get: {
        summary: "Metrics in Prometheus text format",
        responses: { "200": { description: "text/plain" } },
      },
    },
    "/health": {
      get: {
        summary: "Health: Redis latency, queue depth, workers, projection lag (no auth)",
        responses: { "200": { description: "Healthy" }, "503": { description: "queue_unreachable" } },
      },
    },
  };
  return {
    openapi: "3.1.0",
    info: { title: "Docket", version: "1", description: "An event-sourced job engine." },
    paths,
    components: {
      schemas: definitions,
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
    security: [{ bearer: [] }],
  };
};
