/**
 * No state-changing request a browser could send cross-origin without a CORS preflight is
 * accepted (ADR 0017): every POST route (enumerated from the app) answers 415
 * `unsupported_media_type` to a request with no body and no Content-Type, and to the three
 * "simple" media types (text/plain, form-urlencoded, multipart/form-data), even when the text is
 * JSON — and changes nothing. Before the fix an empty POST (e.g. a bare `fetch(url, {method:
 * "POST", mode: "no-cors"})` from any web page) cancelled, retried or rebuilt.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RouteEntry, routesOf } from "../src/api/auth.ts";
import type { JobView } from "../src/engine/read/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";

let redis: TestRedis;
let open: TestApi;
let guarded: TestApi;
let jobId: string;
const TOKEN = "cross-origin-token-0123";

beforeAll(async () => {
  redis = await startRedis();
  open = await startApi(redis.url);
  guarded = await startApi(redis.url, { token: TOKEN });
  const submitted = await open.app.inject({
    method: "POST",
    url: "/v1/jobs",
    payload: { type: "csrf-target", queue: "nobody-works-here" },
  });
  jobId = submitted.json<JobView>().id;
});
afterAll(async () => {
  await open.stop();
  await guarded.stop();
  await redis.stop();
});

const postRoutes = (api: TestApi): ReadonlyArray<RouteEntry> =>
  routesOf(api.app).filter((r) => r.method === "POST");
const pathOf = (route: RouteEntry): string => route.url.replace(/:id\b/g, jobId);

/** What a page on another origin can make a browser send without asking the server first. */
const SIMPLE_REQUESTS: Readonly<Record<string, { headers: Record<string, string>; payload?: string }>> = {
  "no body, no Content-Type": { headers: {} },
  "an empty text/plain body": { headers: { "content-type": "text/plain" }, payload: "" },
  "JSON sent as text/plain": {
    headers: { "content-type": "text/plain;charset=UTF-8" },
    payload: '{"type":"x"}',
  },
  "a form": { headers: { "content-type": "application/x-www-form-urlencoded" }, payload: "type=x" },
  "a multipart form": {
    headers: { "content-type": "multipart/form-data; boundary=b" },
    payload: '--b\r\nContent-Disposition: form-data; name="type"\r\n\r\nx\r\n--b--\r\n',
  },
  "JSON named only in a parameter": {
    headers: { "content-type": "text/plain; x=application/json" },
    payload: "{}",
  },
};

const expectUnsupported = (response: { statusCode: number; json: () => unknown }, what: string) => {
  expect(response.statusCode, what).toBe(415);
  expect(response.json(), what).toMatchObject({ error: { code: "unsupported_media_type" } });
};

describe("state-changing routes need Content-Type: application/json", () => {
  it("every POST route refuses every simple cross-origin request with 415", async () => {
    const routes = postRoutes(open);
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const route of routes)
      for (const [what, request] of Object.entries(SIMPLE_REQUESTS))
        expectUnsupported(
          await open.app.inject({
            method: "POST",
            url: pathOf(route),
            headers: request.headers,
            ...(request.payload === undefined ? {} : { payload: request.payload }),
          }),
          `POST ${route.url} with ${what}`,
        );
  });

  it("a refused request changes nothing: the job is not cancelled, nothing is submitted", async () => {
    for (const request of Object.values(SIMPLE_REQUESTS))
      await open.app.inject({
        method: "POST",
        url: `/v1/jobs/${jobId}/cancel`,
        headers: request.headers,
        ...(request.payload === undefined ? {} : { payload: request.payload }),
      });
    expect((await open.engine.jobs.view(jobId)).status).toBe("queued");
    const key = `csrf-${Date.now()}`;
    expectUnsupported(
      await open.app.inject({
        method: "POST",
        url: "/v1/jobs",
        headers: { "content-type": "text/plain", "idempotency-key": key },
        payload: '{"type":"csrf"}',
      }),
      "a text/plain submit",
    );
    const real = await open.app.inject({
      method: "POST",
      url: "/v1/jobs",
      headers: { "idempotency-key": key },
      payload: { type: "csrf", queue: "nobody-works-here" },
    });
    expect(real.statusCode).toBe(202);
    expect(real.headers["idempotent-replayed"]).toBeUndefined();
  });

  it("JSON with an empty body, parameters or another letter case is accepted", async () => {
    for (const contentType of ["application/json", "application/json; charset=utf-8", "Application/JSON"]) {
      const response = await open.app.inject({
        method: "POST",
        url: "/v1/projections/check",
        headers: { "content-type": contentType },
        payload: "",
      });
      expect(response.statusCode, contentType).toBe(200);
    }
    const cancel = await open.app.inject({
      method: "POST",
      url: `/v1/jobs/${jobId}/cancel`,
      headers: { "content-type": "application/json" },
      payload: "{}",
    });
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json<JobView>().status).toBe("cancelled");
  });

  it("authentication comes first: 401 without a token, 415 with it", async () => {
    for (const route of postRoutes(guarded)) {
      const url = pathOf(route);
      const anonymous = await guarded.app.inject({
        method: "POST",
        url,
        headers: { "content-type": "text/plain" },
        payload: "{}",
      });
      expect(anonymous.statusCode, url).toBe(401);
      expectUnsupported(
        await guarded.app.inject({
          method: "POST",
          url,
          headers: { "content-type": "text/plain", authorization: `Bearer ${TOKEN}` },
          payload: "{}",
        }),
        `POST ${route.url} with a token`,
      );
    }
  });

  it("an unknown route stays a 404 whatever its media type", async () => {
    const response = await open.app.inject({ method: "POST", url: "/v1/nope" });
    expect(response.statusCode).toBe(404);
    expect((await open.app.inject({ method: "DELETE", url: `/v1/jobs/${jobId}` })).statusCode).toBe(404);
  });
});
