/**
 * No spelling of a protected route is served without the token (ADR 0017). Over a real socket to
 * the real API: any protected route (enumerated from the app), its path rewritten by any mix of
 * percent-encodings (either hex case), dot segments, double slashes, `;` parameters, trailing
 * slashes, case changes and query tricks, sent in origin- or absolute-form with any wrong
 * credential, answers 401. And the converse, so the first property is not vacuous: with the
 * right token, percent-encoding any characters of a GET route's path still reaches the route.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RouteEntry, routesOf } from "../src/api/auth.ts";
import type { JobView } from "../src/engine/read/index.ts";
import { startApi, type TestApi } from "../test/support/api.ts";
import { encodeAt, PATH_SPELLINGS, TARGET_SPELLINGS } from "../test/support/path-spellings.ts";
import { rawRequest } from "../test/support/raw-http.ts";
import { startRedis, type TestRedis } from "../test/support/redis.ts";

const TOKEN = "prop-token-0123456789";
let redis: TestRedis;
let api: TestApi;
let port: number;
let jobId: string;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url, { tokens: [{ name: "prop", token: TOKEN }] });
  await api.app.listen({ port: 0, host: "127.0.0.1" });
  port = (api.app.server.address() as { port: number }).port;
  const submitted = await api.app.inject({
    method: "POST",
    url: "/v1/jobs",
    headers: { authorization: `Bearer ${TOKEN}` },
    payload: { type: "prop", queue: "nobody-works-here" },
  });
  jobId = submitted.json<JobView>().id;
  // A schedule for the `:name` routes (ADR 0037) to reach.
  await api.app.inject({
    method: "POST",
    url: "/v1/schedules",
    headers: { authorization: `Bearer ${TOKEN}` },
    payload: { name: SCHEDULE, cron: "0 0 1 1 *", job: { type: "prop" } },
  });
}, 60_000);
afterAll(async () => {
  await api.stop();
  await redis.stop();
});

const SCHEDULE = "prop-schedule";
const pathOf = (route: RouteEntry): string =>
  route.url.replace(/:id\b/g, jobId).replace(/:name\b/g, SCHEDULE);
const protectedRoutes = () => routesOf(api.app).filter((r) => !r.public);

/**
 * Percent-encode some characters (indices taken modulo the length) in one hex case; never the
 * leading `/`: a target that does not start with one is refused by Node's HTTP parser itself.
 */
const encodings = fc.record({
  positions: fc.array(fc.nat(), { maxLength: 8 }),
  lower: fc.boolean(),
});
const encodeSome = (
  path: string,
  { positions, lower }: { positions: ReadonlyArray<number>; lower: boolean },
) => encodeAt(path, new Set(positions.map((p) => 1 + (p % (path.length - 1)))), lower);

const wrongCredentials = fc
  .oneof(
    fc.constant<Record<string, string>>({}),
    fc.constantFrom(
      "Bearer wrong",
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${TOKEN}`,
      "Bearer prop",
    ),
    fc.string({ maxLength: 40 }).map((s) => `Bearer ${s.replace(/[\r\n]/g, "")}`),
  )
  .map((value) => (typeof value === "string" ? { authorization: value } : value));

describe("path spellings", () => {
  it("no spelling of a protected route is served without the token", async () => {
    const routes = protectedRoutes();
    expect(routes.length).toBeGreaterThan(20);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: routes.length - 1 }),
        fc.array(fc.constantFrom(...Object.keys(PATH_SPELLINGS)), { maxLength: 3 }),
        encodings,
        fc.constantFrom(...Object.keys(TARGET_SPELLINGS)),
        wrongCredentials,
        async (routeIndex, spellings, encoding, targetSpelling, headers) => {
          const route = routes[routeIndex] as RouteEntry;
          let path = pathOf(route);
          for (const name of spellings) path = (PATH_SPELLINGS[name] as (p: string) => string)(path);
          path = encodeSome(path, encoding);
          const target = (TARGET_SPELLINGS[targetSpelling] as (p: string, port: number) => string)(
            path,
            port,
          );
          const response = await rawRequest(port, {
            method: route.method,
            target,
            headers: route.method === "POST" ? { "content-type": "application/json", ...headers } : headers,
            ...(route.method === "POST" ? { body: "{}" } : {}),
          });
          expect(response.status, `${route.method} ${target} (${route.url})`).toBe(401);
        },
      ),
    );
  });

  it("with the right token, any percent-encoding of a GET route's path still reaches it", async () => {
    const routes = protectedRoutes().filter((r) => r.method === "GET");
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: routes.length - 1 }), encodings, async (routeIndex, encoding) => {
        const route = routes[routeIndex] as RouteEntry;
        const path = pathOf(route);
        // Encoding a `/` makes another path; every other character decodes back to the route.
        const positions = encoding.positions.map((p) => p % path.length).filter((p) => path[p] !== "/");
        const target = encodeAt(path, new Set(positions), encoding.lower);
        const response = await rawRequest(port, {
          method: "GET",
          target,
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        expect([401, 404], `GET ${target} (${route.url}): ${response.status}`).not.toContain(response.status);
        expect(response.status).toBeLessThan(500);
      }),
    );
  });
});
