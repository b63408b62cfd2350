/**
 * Authorisation on the route the router matched, deny by default (ADR 0017), over a real socket
 * and a real Redis: every registered route (enumerated from the app, so a route added later is
 * covered) × every credential × every spelling of its path answers 401 without a right token,
 * whatever the router makes of the spelling; the allow-list is exactly /health and /openapi.json
 * (and the documentation UI under /docs, test/api-docs.int.test.ts, and the inbound hook, which
 * authenticates by signature: test/hooks-inbound.int.test.ts);
 * the right tokens are served. Before the fix `GET /%761/jobs`, `GET /v%31/jobs`,
 * `POST /%761/jobs` and the absolute-form `GET http://127.0.0.1:<port>/v1/jobs` were served
 * without the token, and `/metrics` was open.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PRINCIPAL } from "../src/api/api-tokens.ts";
import { type RouteEntry, routesOf } from "../src/api/auth.ts";
import { openApiDocument } from "../src/api/openapi.ts";
import { isPageRoute } from "./support/contract.ts";
import type { JobView } from "../src/engine/read/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { PATH_SPELLINGS, TARGET_SPELLINGS } from "./support/path-spellings.ts";
import { type RawResponse, rawRequest } from "./support/raw-http.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";

const SINGLE = "s3cret-default-token";
const NAMED = [
  { name: "ci", token: "ci-token-0123456789" },
  { name: "alice", token: "alice:has:colons" },
] as const;

let redis: TestRedis;
let api: TestApi;
let port: number;
let jobId: string;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url, { token: SINGLE, tokens: NAMED });
  await api.app.listen({ port: 0, host: "127.0.0.1" });
  port = (api.app.server.address() as { port: number }).port;
  const submitted = await api.app.inject({
    method: "POST",
    url: "/v1/jobs",
    headers: { authorization: `Bearer ${SINGLE}` },
    payload: { type: "auth-test", queue: "nobody-works-here" },
  });
  jobId = submitted.json<JobView>().id;
});
afterAll(async () => {
  await api.stop();
  await redis.stop();
});

/** The allow-list; the inbound hook authenticates by signature instead (ADR 0038, hooks-inbound.int.test.ts). */
const PUBLIC = [
  "GET /health",
  "HEAD /health",
  "GET /openapi.json",
  "HEAD /openapi.json",
  "POST /v1/hooks/:source",
];

/** Every route but the documentation UI's (public, and checked on their own below). */
const routes = (): ReadonlyArray<RouteEntry> => routesOf(api.app).filter((r) => !isPageRoute(r.url));
const protectedRoutes = (): ReadonlyArray<RouteEntry> => routes().filter((r) => !r.public);
const pathOf = (route: RouteEntry): string => route.url.replace(/:id\b/g, jobId);

/** Everything a caller without a right token might send. */
const WRONG_CREDENTIALS: Readonly<Record<string, Record<string, string>>> = {
  "no Authorization header": {},
  "a wrong token": { authorization: "Bearer wrong" },
  "a right token's prefix": { authorization: `Bearer ${SINGLE.slice(0, -1)}` },
  "a right token and more": { authorization: `Bearer ${SINGLE}x` },
  "two right tokens": { authorization: `Bearer ${SINGLE} ${NAMED[0].token}` },
  "another scheme": { authorization: `Basic ${SINGLE}` },
  "a bare scheme": { authorization: "Bearer" },
  "an empty header": { authorization: "" },
  "the token as a cookie": { cookie: `token=${SINGLE}` },
  "the name instead of the token": { authorization: "Bearer ci" },
};

const send = (route: RouteEntry, target: string, headers: Record<string, string>): Promise<RawResponse> =>
  rawRequest(port, {
    method: route.method,
    target,
    headers: route.method === "POST" ? { "content-type": "application/json", ...headers } : headers,
    ...(route.method === "POST" ? { body: "{}" } : {}),
  });

const expectUnauthorized = (response: RawResponse, what: string) => {
  expect(response.status, what).toBe(401);
  expect(response.headers["www-authenticate"], what).toBe('Bearer realm="docket"');
  // HEAD answers have no body; every other 401 is the API's JSON error.
  if (!what.startsWith("HEAD"))
    expect(JSON.parse(response.body), what).toMatchObject({ error: { code: "unauthorized" } });
};

describe("the route table", () => {
  it("lists every route, and the allow-list is exactly /health, /openapi.json and the signed inbound hook", () => {
    const names = routes().map((r) => `${r.method} ${r.url}`);
    expect(names).toEqual(expect.arrayContaining(["POST /v1/jobs", "GET /v1/events", "GET /metrics"]));
    expect(names.length).toBeGreaterThan(30);
    expect(
      routes()
        .filter((r) => r.public)
        .map((r) => `${r.method} ${r.url}`)
        .sort(),
    ).toEqual([...PUBLIC].sort());
  });

  it("the OpenAPI document lists every route with its security: bearer, or none on the allow-list", () => {
    const paths = openApiDocument().paths as Record<string, Record<string, { security?: unknown }>>;
    for (const route of routes().filter((r) => r.method !== "HEAD")) {
      const operation = paths[route.url.replace(/:(\w+)/g, "{$1}")]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.url} in /openapi.json`).toBeDefined();
      if (route.public) expect(operation?.security, route.url).toEqual([]);
      else expect(operation?.security, route.url).toBeUndefined();
    }
  });
});

describe("without a right token", () => {
  it("every protected route answers 401 to every wrong credential", async () => {
    for (const route of protectedRoutes())
      for (const [what, headers] of Object.entries(WRONG_CREDENTIALS))
        expectUnauthorized(
          await send(route, pathOf(route), headers),
          `${route.method} ${route.url} with ${what}`,
        );
  });

  it("every spelling of every protected route answers 401, never 2xx (absolute-form, %-encoding, dot segments…)", async () => {
    let checked = 0;
    for (const route of protectedRoutes())
      for (const [pathWhat, spellPath] of Object.entries(PATH_SPELLINGS))
        for (const [targetWhat, spellTarget] of Object.entries(TARGET_SPELLINGS)) {
          const target = spellTarget(spellPath(pathOf(route)), port);
          const what = `${route.method} ${target} (${route.url}: ${pathWhat}, ${targetWhat})`;
          expectUnauthorized(await send(route, target, {}), what);
          checked++;
        }
    expect(checked).toBeGreaterThan(1000);
  });

  it("the reported bypasses are closed: /%761/jobs, /v%31/jobs, POST /%761/jobs, absolute-form, /metrics", async () => {
    const get = (target: string) => rawRequest(port, { method: "GET", target });
    for (const target of [
      "/%761/jobs",
      "/v%31/jobs",
      `http://127.0.0.1:${port}/v1/jobs`,
      "/metrics",
      "/v1/events",
    ])
      expectUnauthorized(await get(target), `GET ${target}`);
    const before = (await api.engine.jobs.events(jobId)).length;
    const post = await rawRequest(port, {
      method: "POST",
      target: "/%761/jobs",
      headers: { "content-type": "application/json" },
      body: '{"type":"sneaky"}',
    });
    expectUnauthorized(post, "POST /%761/jobs");
    const cancel = await rawRequest(port, {
      method: "POST",
      target: `/%761/jobs/${jobId}/cancel`,
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expectUnauthorized(cancel, "POST /%761/jobs/:id/cancel");
    expect((await api.engine.jobs.events(jobId)).length).toBe(before);
  });

  it("an unknown route answers 401, not 404: nothing says which routes exist", async () => {
    for (const method of ["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"])
      for (const target of ["/nope", "/v1/nope", "/v2/jobs", "*", "/v1/jobs/x/y/z"])
        expectUnauthorized(await rawRequest(port, { method, target }), `${method} ${target}`);
  });

  it("requests the router refuses (bad escapes, over-long ids) answer 401 too", async () => {
    for (const target of ["/v1/jobs/%zz", "/v1/jobs/%E0%A4%A", `/v1/jobs/${"a".repeat(300)}`])
      expectUnauthorized(await rawRequest(port, { method: "GET", target }), `GET ${target}`);
    const authorised = await rawRequest(port, {
      method: "GET",
      target: "/v1/jobs/%zz",
      headers: { authorization: `Bearer ${SINGLE}` },
    });
    expect(authorised.status).toBe(400);
  });

  it("requests Node's HTTP parser refuses get the API's JSON error, never a bare 400", async () => {
    for (const target of ["%2Fmetrics", "/v1/jobs\x7f", "/v1/ jobs"]) {
      const response = await rawRequest(port, { method: "GET", target });
      expect(response.status, target).toBe(400);
      expect(JSON.parse(response.body), target).toMatchObject({ error: { code: "malformed_request" } });
    }
  });

  it("the allow-list is served without a token", async () => {
    for (const target of ["/health", "/openapi.json"]) {
      expect((await rawRequest(port, { method: "GET", target })).status, target).toBe(200);
      expect((await rawRequest(port, { method: "HEAD", target })).status, `HEAD ${target}`).toBe(200);
    }
    expect((await rawRequest(port, { method: "GET", target: "/%68ealth" })).status).toBe(200);
  });
});

describe("with a right token", () => {
  const rightTokens = [{ name: DEFAULT_PRINCIPAL, token: SINGLE }, ...NAMED];

  it("every token (the single one and each named one) is served on every protected route", async () => {
    for (const { name, token } of rightTokens)
      for (const route of protectedRoutes()) {
        const response = await send(route, pathOf(route), { authorization: `Bearer ${token}` });
        const what = `${route.method} ${route.url} as ${name}`;
        expect(response.status, what).not.toBe(401);
        expect(response.status, what).toBeLessThan(500);
      }
  });

  it("the scheme is case-insensitive and spaces around the token do not matter", async () => {
    for (const authorization of [
      `bearer ${NAMED[0].token}`,
      `BEARER  ${NAMED[0].token}`,
      ` Bearer ${NAMED[0].token} `,
    ])
      expect(
        (await rawRequest(port, { method: "GET", target: "/v1/workers", headers: { authorization } })).status,
      ).toBe(200);
  });

  it("an unknown route is a 404 once authenticated", async () => {
    const response = await rawRequest(port, {
      method: "GET",
      target: "/v1/nope",
      headers: { authorization: `Bearer ${SINGLE}` },
    });
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: "route_not_found" } });
  });

  it("the token in the query string authenticates nothing", async () => {
    for (const query of [`access_token=${SINGLE}`, `token=${SINGLE}`, `authorization=Bearer%20${SINGLE}`])
      expectUnauthorized(await rawRequest(port, { method: "GET", target: `/v1/jobs?${query}` }), query);
  });
});
