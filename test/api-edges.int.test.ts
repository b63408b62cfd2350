/**
 * The API's edges: bearer auth, health while Redis is down, and Server-Sent Events over a real
 * socket. Each test has its own Redis and API so killing Redis disturbs nobody else.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Envelope } from "../src/domain/index.ts";
import type { JobView } from "../src/engine/read/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const setUp = async (
  options: { readonly token?: string; readonly own?: boolean } = {},
): Promise<{ redis: TestRedis; api: TestApi }> => {
  const redis = await startRedis({ own: options.own === true });
  cleanups.push(() => redis.stop());
  const api = await startApi(redis.url, options);
  cleanups.push(() => api.stop());
  return { redis, api };
};

describe("bearer auth", () => {
  it("guards every /v1 route when a token is set; /health and /openapi.json stay open", async () => {
    const { api } = await setUp({ token: "s3cret-token" });
    const inject = (url: string, authorization?: string, method: "GET" | "POST" = "GET") =>
      api.app.inject({ method, url, headers: authorization === undefined ? {} : { authorization } });
    for (const url of ["/v1/jobs", "/v1/metrics", "/v1/workers", "/v1/dead-letters", "/v1/jobs/abc"]) {
      const missing = await inject(url);
      expect(missing.statusCode).toBe(401);
      expect(missing.json()).toMatchObject({ error: { code: "unauthorized" } });
      expect((await inject(url, "Bearer wrong")).statusCode).toBe(401);
      expect((await inject(url, "Bearer s3cret-token-and-more")).statusCode).toBe(401);
      expect((await inject(url, "Basic s3cret-token")).statusCode).toBe(401);
    }
    expect((await inject("/v1/jobs", undefined, "POST")).statusCode).toBe(401);
    expect((await inject("/v1/jobs", "Bearer s3cret-token")).statusCode).toBe(200);
    expect((await inject("/v1/metrics", "bearer s3cret-token")).statusCode).toBe(200);
    expect((await inject("/health")).statusCode).toBe(200);
    expect((await inject("/openapi.json")).statusCode).toBe(200);
  });
});

describe("health", () => {
  it("answers 503 queue_unreachable while Redis is down, and 200 again once it is back", async () => {
    const { redis, api } = await setUp({ own: true }); // its own server, even with REDIS_URL: it kills it
    expect((await api.app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
    redis.kill();
    const down = await api.app.inject({ method: "GET", url: "/health" });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: "unavailable", error: { code: "queue_unreachable" } });
    // In plain words, not ioredis' option names.
    expect(down.json().error.message).not.toMatch(/enableOfflineQueue|Stream isn't writeable/);
    const submit = await api.app.inject({ method: "POST", url: "/v1/jobs", payload: { type: "echo" } });
    expect(submit.statusCode).toBe(503);
    expect(submit.json()).toMatchObject({ error: { code: "queue_unavailable" } });
    await redis.restart();
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await api.app.inject({ method: "GET", url: "/health" })).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});

describe("a projection whose log was lost", () => {
  it("halts, says so in /health, answers check with 409 projection_log_mismatch, and a rebuild repairs it", async () => {
    const { redis, api } = await setUp({ own: true }); // its own server, even with REDIS_URL: it restarts it
    for (const type of ["a", "b"])
      expect((await api.app.inject({ method: "POST", url: "/v1/jobs", payload: { type } })).statusCode).toBe(
        202,
      );
    const listed = async () => (await api.app.inject({ method: "GET", url: "/v1/jobs" })).json().jobs.length;
    const until = async (what: string, done: () => Promise<boolean>) => {
      const deadline = Date.now() + 15_000;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until("the projection to hold both jobs", async () => (await listed()) === 2);
    await redis.restart(); // no persistence: the log is gone
    const health = async () => (await api.app.inject({ method: "GET", url: "/health" })).json();
    await until("the projector to halt", async () => (await health()).projection?.state === "halted");
    expect((await health()).projection.lastError).toContain("rebuild the projection");
    const check = await api.app.inject({ method: "POST", url: "/v1/projections/check", payload: {} });
    expect(check.statusCode).toBe(409);
    expect(check.json()).toMatchObject({ error: { code: "projection_log_mismatch", shard: 0 } });
    expect(
      (await api.app.inject({ method: "POST", url: "/v1/projections/rebuild", payload: {} })).statusCode,
    ).toBe(200);
    expect(await listed()).toBe(0);
    await until("the projector to run again", async () => (await health()).projection?.state !== "halted");
    const after = await api.app.inject({ method: "POST", url: "/v1/projections/check", payload: {} });
    expect(after.json()).toMatchObject({ equal: true });
  });
});

describe("GET /v1/events (Server-Sent Events)", () => {
  it("streams committed events, filtered by job id", async () => {
    const { api } = await setUp();
    const address = await api.app.listen({ port: 0, host: "127.0.0.1" });
    const other = (
      await api.app.inject({ method: "POST", url: "/v1/jobs", payload: { type: "echo", queue: "q1" } })
    ).json<JobView>();
    const job = (
      await api.app.inject({ method: "POST", url: "/v1/jobs", payload: { type: "echo", queue: "q1" } })
    ).json<JobView>();
    const controller = new AbortController();
    const response = await fetch(`${address}/v1/events?jobId=${job.id}`, { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    if (response.body === null) throw new Error("no event stream body");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    // Events of both jobs keep arriving after we subscribed: cancel both.
    await api.app.inject({ method: "POST", url: `/v1/jobs/${other.id}/cancel`, payload: {} });
    await api.app.inject({ method: "POST", url: `/v1/jobs/${job.id}/cancel`, payload: {} });
    let text = "";
    const deadline = Date.now() + 10_000;
    while (!text.includes("event: JobCancelled") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    controller.abort();
    const messages = text
      .split("\n\n")
      .filter((block) => block.includes("data: "))
      .map((block) => JSON.parse(block.slice(block.indexOf("data: ") + 6)) as Envelope);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.every((m) => m.jobId === job.id)).toBe(true);
    expect(messages.map((m) => m.type)).toContain("JobCancelled");
  });
});
