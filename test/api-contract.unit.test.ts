/**
 * The API contract (src/contract, ADR 0026) as a document and as a check: the OpenAPI document
 * generated from the table of operations is well formed, and the answer check every integration
 * test runs (test/support/contract.ts) refuses what the contract does not allow.
 */
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../src/api/openapi.ts";
import { ErrorBody, HealthUnavailable, OPERATIONS } from "../src/contract/index.ts";
import { contractProblem } from "./support/contract.ts";

type Json = Record<string, unknown>;

const refsIn = (value: unknown, found: Array<string> = []): Array<string> => {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (typeof value === "object" && value !== null)
    for (const [key, member] of Object.entries(value))
      if (key === "$ref" && typeof member === "string") found.push(member);
      else refsIn(member, found);
  return found;
};

const VIEW = {
  id: "01a22c93-bc32-77c0-9cfe-62e1f3e8d8a7",
  status: "queued",
  type: "echo",
  queue: "default",
  priority: "normal",
  attempts: 0,
  maxAttempts: 3,
  createdAt: "2026-01-01T00:00:00.000Z",
  queuedAt: "2026-01-01T00:00:00.000Z",
  startedAt: null,
  endedAt: null,
  evictedAt: null,
  retainMs: null,
  runAt: null,
  progress: null,
  result: null,
  error: null,
  cancelReason: null,
  idempotencyKey: null,
  meta: null,
  concurrencyKey: null,
  concurrencyLimit: null,
  steps: 0,
  suspensions: 0,
  suspension: null,
  dependencies: [],
  version: 1,
  lastHash: "a".repeat(64),
  updatedAt: "2026-01-01T00:00:00.000Z",
};

const getJob = (status: number, body: unknown) =>
  contractProblem({
    method: "GET",
    route: "/v1/jobs/:id",
    status,
    contentType: "application/json; charset=utf-8",
    body: JSON.stringify(body),
  });

describe("the OpenAPI document generated from the table of operations", () => {
  const doc = openApiDocument() as {
    openapi: string;
    paths: Record<string, Record<string, Json>>;
    components: { schemas: Json };
  };

  it("has one operation per table entry, with a unique operationId and a response per listed status", () => {
    const ids = new Set<string>();
    for (const operation of OPERATIONS) {
      const path = operation.path.replace(/:(\w+)/g, "{$1}");
      const documented = doc.paths[path]?.[operation.method.toLowerCase()];
      expect(documented, `${operation.method} ${operation.path}`).toBeDefined();
      ids.add(String(documented?.operationId));
      expect(Object.keys(documented?.responses as Json).sort()).toEqual(
        Object.keys(operation.responses).sort(),
      );
    }
    expect(ids.size).toBe(OPERATIONS.length);
    expect(doc.openapi).toBe("3.1.0");
  });

  it("resolves every $ref to a component schema and declares every path parameter", () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.slice("#/components/schemas/".length)], ref).toBeDefined();
    }
    for (const [path, methods] of Object.entries(doc.paths))
      for (const operation of Object.values(methods)) {
        const declared = ((operation.parameters ?? []) as Array<{ name: string; in: string }>)
          .filter((p) => p.in === "path")
          .map((p) => p.name);
        expect(declared, path).toEqual([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
      }
  });

  it("describes every parameter (path, query and header) of every operation", () => {
    const undescribed: Array<string> = [];
    for (const [path, methods] of Object.entries(doc.paths))
      for (const [method, operation] of Object.entries(methods))
        for (const p of (operation.parameters ?? []) as Array<{
          name: string;
          in: string;
          description?: string;
        }>)
          if (typeof p.description !== "string" || p.description.trim() === "")
            undescribed.push(`${method} ${path} ${p.in} ${p.name}`);
    expect(undescribed).toEqual([]);
  });

  it("gives every error status the error body's schema (health's 503 has its own)", () => {
    for (const operation of OPERATIONS)
      for (const [status, answer] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        const documented = doc.paths[operation.path.replace(/:(\w+)/g, "{$1}")]?.[
          operation.method.toLowerCase()
        ]?.responses as Record<string, Json>;
        const own = operation.path === "/health" && status === "503";
        const expected = own ? HealthUnavailable : ErrorBody;
        expect("schema" in answer && answer.schema === expected, `${operation.path} ${status}`).toBe(true);
        expect(refsIn(documented[status]), `${operation.path} ${status}`).toContain(
          `#/components/schemas/${own ? "HealthUnavailable" : "ErrorBody"}`,
        );
      }
  });
});

describe("the answer check", () => {
  it("accepts an answer the contract allows", () => {
    expect(getJob(200, VIEW)).toBeNull();
    expect(getJob(404, { error: { code: "job_not_found", message: "no job x", jobId: "x" } })).toBeNull();
  });

  it("refuses a missing field, an extra field at any depth, and a wrong type", () => {
    const { lastHash: _lastHash, ...missing } = VIEW;
    expect(getJob(200, missing)).toMatch(/at lastHash/);
    expect(getJob(200, { ...VIEW, extra: 1 })).toMatch(/at extra/);
    expect(getJob(200, { ...VIEW, progress: { current: 1, total: 2, percent: 50 } })).toMatch(
      /at progress\.percent/,
    );
    expect(getJob(200, { ...VIEW, attempts: "0" })).toMatch(/at attempts/);
    expect(getJob(404, { error: { code: "job_not_found", message: "no job x", job: "x" } })).toMatch(
      /at error\.job/,
    );
  });

  it("refuses a status the operation does not list, a route with no operation, and a wrong media type", () => {
    expect(getJob(418, { error: { code: "teapot", message: "" } })).toMatch(/status 418 is not listed/);
    expect(
      contractProblem({
        method: "GET",
        route: "/v1/nothing",
        status: 200,
        contentType: undefined,
        body: "{}",
      }),
    ).toMatch(/no operation/);
    expect(
      contractProblem({
        method: "GET",
        route: "/v1/audit/export",
        status: 200,
        contentType: "application/json",
        body: undefined,
      }),
    ).toMatch(/is not application\/x-ndjson/);
  });

  it("checks an answer to no route against the error body", () => {
    const unrouted = (status: number, body: unknown) =>
      contractProblem({
        method: "GET",
        route: undefined,
        status,
        contentType: undefined,
        body: JSON.stringify(body),
      });
    expect(unrouted(404, { error: { code: "route_not_found", message: "no route GET /x" } })).toBeNull();
    expect(unrouted(404, { message: "Not Found" })).toMatch(/does not match the schema/);
    expect(unrouted(200, {})).toMatch(/status 200 is not listed/);
  });
});
