/**
 * The routes fastify registers and the contract's table of operations (src/contract, ADR 0026)
 * are the same list: a route added without an operation (so without schemas, OpenAPI entry or
 * answer checks) fails here, as does an operation no route serves or a public flag that differs.
 * The answers themselves are checked in every integration test (test/support/contract.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routesOf } from "../src/api/auth.ts";
import { openApiDocument } from "../src/api/openapi.ts";
import { OPERATIONS, operationOf } from "../src/contract/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { isPageRoute } from "./support/contract.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";

let redis: TestRedis;
let api: TestApi;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
  await api.app.ready();
});
afterAll(async () => {
  await api.stop();
  await redis.stop();
});

describe("the table of operations", () => {
  it("has an operation for every route fastify registered, with the same public flag, and no other", () => {
    // The documentation UI's and the dashboard's routes (src/api/docs.ts, ui.ts) are pages, not
    // operations: all public.
    const pages = routesOf(api.app).filter((route) => isPageRoute(route.url));
    const named = pages.map((route) => `${route.method} ${route.url}`);
    for (const page of ["GET /docs", "GET /ui/*", "GET /"]) expect(named).toContain(page);
    expect(pages.every((route) => route.public)).toBe(true);
    const routes = routesOf(api.app).filter((route) => !isPageRoute(route.url));
    expect(routes.length).toBeGreaterThan(30);
    for (const route of routes) {
      const operation = operationOf(route.method, route.url);
      expect(operation, `${route.method} ${route.url} has no operation in src/contract`).toBeDefined();
      expect(operation?.public === true, `${route.method} ${route.url} public`).toBe(route.public);
    }
    const registered = new Set(routes.map((route) => `${route.method} ${route.url}`));
    for (const operation of OPERATIONS)
      expect(
        registered.has(`${operation.method} ${operation.path}`),
        `${operation.method} ${operation.path}`,
      ).toBe(true);
  });

  it("serves the document generated from it at /openapi.json", async () => {
    const response = await api.app.inject({ method: "GET", url: "/openapi.json" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(openApiDocument());
  });
});
