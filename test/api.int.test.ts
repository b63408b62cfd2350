/**
 * The HTTP API through `inject`, against a real Redis and a real SQLite projection: every route,
 * with its success and error cases. Errors are always `{ error: { code, message } }`.
 */
import * as Result from "effect/Result";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, type Envelope, sha256Hex, verifyChain } from "../src/domain/index.ts";
import { demoHandlers } from "../src/cli/demo-handlers.ts";
import type { JobView } from "../src/engine/read/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";
import type { Worker } from "../src/engine/worker/index.ts";

let redis: TestRedis;
let api: TestApi;
const workers: Array<Worker> = [];

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop(100)));
  await api.stop();
  await redis.stop();
});

/** A POST as every client sends it: JSON, `{}` when there is nothing to say (ADR 0017). */
const post = (url: string, payload: unknown = {}, headers: Record<string, string> = {}) =>
  api.app.inject({ method: "POST", url, payload: payload as object, headers });
const get = (url: string, headers: Record<string, string> = {}) =>
  api.app.inject({ method: "GET", url, headers });

const submit = async (spec: object): Promise<JobView> => {
  const response = await post("/v1/jobs", spec);
  expect(response.statusCode).toBe(202);
  return response.json<JobView>();
};

const expectError = (response: { statusCode: number; json: () => unknown }, status: number, code: string) => {
  expect(response.statusCode).toBe(status);
  const body = response.json() as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
};

const runWorker = async () => {
  const started = await startWorker(api.engine, demoHandlers, { concurrency: 4 });
  workers.push(started.worker);
};

const untilStatus = (id: string, status: string) =>
  waitFor(async () => (await get(`/v1/jobs/${id}`)).json<JobView>().status === status, `job ${id} ${status}`);

const untilProjected = (id: string, version: number) =>
  waitFor(() => (api.readSide.reads.job(id)?.version ?? 0) >= version, `job ${id} projected at v${version}`);

describe("POST /v1/jobs", () => {
  it("answers 202 with the job, which GET finds at once (read-your-writes)", async () => {
    const job = await submit({ type: "echo", payload: { hello: "world" }, queue: "mail", priority: "high" });
    expect(job).toMatchObject({
      status: "queued",
      type: "echo",
      queue: "mail",
      priority: "high",
      attempts: 0,
      maxAttempts: 3,
    });
    expect(job.id).toMatch(/^[0-9a-f-]{36}$/);
    const fetched = await get(`/v1/jobs/${job.id}`);
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json()).toEqual(job);
  });

  it("honours Idempotency-Key: a repeat returns the first job and appends nothing", async () => {
    const first = await post("/v1/jobs", { type: "echo" }, { "idempotency-key": "order-17" });
    const again = await post("/v1/jobs", { type: "echo" }, { "idempotency-key": "order-17" });
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(again.json<JobView>().id).toBe(first.json<JobView>().id);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    const events = (await get(`/v1/jobs/${first.json<JobView>().id}/events`)).json<{
      events: Array<Envelope>;
    }>();
    expect(events.events).toHaveLength(1);
  });

  it("refuses a header key that contradicts the body's", async () => {
    expectError(
      await post("/v1/jobs", { type: "echo", idempotencyKey: "a" }, { "idempotency-key": "b" }),
      400,
      "idempotency_key_mismatch",
    );
  });

  it("refuses bad specs with 400 naming the field", async () => {
    const missing = await post("/v1/jobs", { payload: {} });
    expectError(missing, 400, "invalid_job_spec");
    expect(missing.json<{ error: { field: string } }>().error.field).toBe("type");
    const priority = await post("/v1/jobs", { type: "echo", priority: "urgent" });
    expect(priority.json<{ error: { field: string } }>().error.field).toBe("priority");
    expectError(await post("/v1/jobs", { type: "echo", colour: "red" }), 400, "invalid_job_spec");
    expectError(await post("/v1/jobs", [1, 2]), 400, "invalid_request");
    expectError(await post("/v1/jobs", { type: "echo", maxAttempts: "3" }), 400, "invalid_job_spec");
  });

  it("refuses malformed JSON, empty and non-JSON bodies, oversized and too deeply nested bodies", async () => {
    const raw = (payload: string, contentType = "application/json") =>
      api.app.inject({ method: "POST", url: "/v1/jobs", payload, headers: { "content-type": contentType } });
    expectError(await raw('{"type": '), 400, "malformed_json");
    expectError(await raw(""), 400, "invalid_request");
    expectError(await raw("type=echo", "text/plain"), 415, "unsupported_media_type");
    expectError(
      await raw(JSON.stringify({ type: "echo", payload: "x".repeat(2 * 1024 * 1024) })),
      413,
      "body_too_large",
    );
    expectError(
      await raw(`{"type":"echo","payload":${"[".repeat(10_000)}${"]".repeat(10_000)}}`),
      400,
      "json_too_deep",
    );
  });

  it("refuses a payload over 512 KiB that fits the body limit", async () => {
    const response = await post("/v1/jobs", { type: "echo", payload: "x".repeat(600 * 1024) });
    expectError(response, 400, "invalid_job_spec");
    expect(response.json<{ error: { field: string } }>().error.field).toBe("payload");
  });
});

describe("POST /v1/jobs/bulk", () => {
  it("submits each job on its own: good ones are created, bad ones carry their error and index", async () => {
    const response = await post("/v1/jobs/bulk", {
      jobs: [{ type: "echo", payload: 1 }, { type: "" }, { type: "echo", idempotencyKey: "bulk-1" }],
    });
    expect(response.statusCode).toBe(202);
    const { jobs } = response.json<{ jobs: Array<Record<string, unknown>> }>();
    expect(jobs[0]).toMatchObject({ index: 0, status: "queued", created: true });
    expect(jobs[1]).toMatchObject({ index: 1, error: { code: "invalid_job_spec", field: "type" } });
    expect(jobs[2]).toMatchObject({ index: 2, status: "queued", created: true });
    const repeat = await post("/v1/jobs/bulk", { jobs: [{ type: "echo", idempotencyKey: "bulk-1" }] });
    expect(repeat.json<{ jobs: Array<Record<string, unknown>> }>().jobs[0]).toMatchObject({
      id: jobs[2]?.id,
      created: false,
    });
  });

  it("refuses an empty list, a missing list and more than 1,000 jobs", async () => {
    expectError(await post("/v1/jobs/bulk", { jobs: [] }), 400, "invalid_request");
    expectError(await post("/v1/jobs/bulk", {}), 400, "invalid_request");
    expectError(
      await post("/v1/jobs/bulk", { jobs: Array.from({ length: 1001 }, () => ({ type: "echo" })) }),
      400,
      "invalid_request",
    );
  });
});

describe("GET /v1/jobs/:id and /events", () => {
  it("answers 404 for an unknown id and 400 for a malformed one", async () => {
    expectError(await get("/v1/jobs/0190a0a0-0000-7000-8000-000000000000"), 404, "job_not_found");
    expectError(await get("/v1/jobs/not%20an%20id"), 400, "invalid_request");
    expectError(await get(`/v1/jobs/${"a".repeat(300)}`), 414, "uri_too_long");
    expectError(await get("/v1/jobs/0190a0a0-0000-7000-8000-000000000000/events"), 404, "job_not_found");
  });

  it("gives each event exactly as it was hashed, so a client can verify the chain itself", async () => {
    await runWorker();
    const job = await submit({ type: "echo", payload: { n: 1 } });
    await untilStatus(job.id, "completed");
    const { events } = (await get(`/v1/jobs/${job.id}/events`)).json<{ events: Array<Envelope> }>();
    expect(events.map((e) => e.type)).toEqual(["JobSubmitted", "AttemptStarted", "JobCompleted"]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    for (const event of events) {
      const { hash, ...hashed } = event;
      expect(sha256Hex(canonicalJson(hashed))).toBe(hash);
    }
    expect(Result.isSuccess(verifyChain(events))).toBe(true);
    const view = (await get(`/v1/jobs/${job.id}`)).json<JobView>();
    expect(view).toMatchObject({ status: "completed", attempts: 1, result: { n: 1 } });
    expect(view.endedAt).not.toBeNull();
  });
});

describe("cancel, retry and dead letters", () => {
  it("cancels a queued job; cancelling again changes nothing; a completed job cannot be cancelled", async () => {
    const job = await submit({ type: "echo", queue: "nobody-works-here" });
    const cancelled = await post(`/v1/jobs/${job.id}/cancel`, { reason: "changed my mind" });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json<JobView>()).toMatchObject({ status: "cancelled", cancelReason: "changed my mind" });
    const again = await post(`/v1/jobs/${job.id}/cancel`);
    expect(again.statusCode).toBe(200);
    expect(again.json<JobView>().version).toBe(cancelled.json<JobView>().version);
    const done = await submit({ type: "echo" });
    await untilStatus(done.id, "completed");
    expectError(await post(`/v1/jobs/${done.id}/cancel`), 409, "illegal_transition");
    expectError(await post(`/v1/jobs/${done.id}/cancel`, { reason: 42 }), 400, "invalid_request");
  });

  it("lists a dead letter, retries it with a recorded reason, and refuses to retry a live job", async () => {
    const job = await submit({ type: "fail", payload: { retryable: false } });
    await untilStatus(job.id, "dead_letter");
    const letters = (await get("/v1/dead-letters")).json<{ jobs: Array<JobView> }>();
    expect(letters.jobs.map((j) => j.id)).toContain(job.id);
    const retried = await post(
      `/v1/jobs/${job.id}/retry`,
      { reason: "fixed the template" },
      { "docket-actor": "ops-alice" },
    );
    expect(retried.statusCode).toBe(200);
    const { events } = (await get(`/v1/jobs/${job.id}/events`)).json<{ events: Array<Envelope> }>();
    const retry = events.find((e) => e.type === "JobRetried");
    expect(retry).toMatchObject({
      // Identity comes from authentication (none here: anonymous); the header is only a claim.
      actor: { kind: "client", id: "anonymous", unauthenticatedClaim: "ops-alice" },
      data: { reason: "fixed the template" },
    });
    const live = await submit({ type: "echo", queue: "nobody-works-here" });
    expectError(await post(`/v1/jobs/${live.id}/retry`), 409, "illegal_transition");
    expectError(await post("/v1/jobs/0190a0a0-0000-7000-8000-000000000000/retry"), 404, "job_not_found");
  });
});

describe("GET /v1/jobs (from the projection)", () => {
  it("lists newest first with filters and cursor paging, and refuses bad queries", async () => {
    const type = `page-${Date.now()}`;
    const ids: Array<string> = [];
    for (let i = 0; i < 5; i++) ids.push((await submit({ type, queue: "nobody-works-here" })).id);
    for (const id of ids) await untilProjected(id, 1);
    const first = (await get(`/v1/jobs?type=${type}&limit=2`)).json<{
      jobs: Array<JobView>;
      nextCursor?: string;
    }>();
    expect(first.jobs.map((j) => j.id)).toEqual([ids[4], ids[3]]);
    expect(first.nextCursor).toBeDefined();
    const second = (await get(`/v1/jobs?type=${type}&limit=2&cursor=${first.nextCursor}`)).json<{
      jobs: Array<JobView>;
      nextCursor?: string;
    }>();
    expect(second.jobs.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    const last = (await get(`/v1/jobs?type=${type}&limit=2&cursor=${second.nextCursor}`)).json<{
      jobs: Array<JobView>;
      nextCursor?: string;
    }>();
    expect(last.jobs.map((j) => j.id)).toEqual([ids[0]]);
    expect(last.nextCursor).toBeUndefined();
    const queued = (await get(`/v1/jobs?type=${type}&status=queued`)).json<{ jobs: Array<JobView> }>();
    expect(queued.jobs).toHaveLength(5);
    expect(
      (await get(`/v1/jobs?type=${type}&status=completed`)).json<{ jobs: Array<JobView> }>().jobs,
    ).toHaveLength(0);
    expectError(await get("/v1/jobs?status=done"), 400, "invalid_request");
    expectError(await get("/v1/jobs?limit=0"), 400, "invalid_request");
    expectError(await get("/v1/jobs?limit=501"), 400, "invalid_request");
    expectError(await get("/v1/jobs?cursor=%00%01"), 400, "invalid_request");
    expectError(await get("/v1/jobs?colour=red"), 400, "invalid_request");
    expectError(await get("/v1/jobs?cursor=____"), 400, "invalid_cursor");
  });
});

describe("metrics, workers, health, OpenAPI", () => {
  it("reports counts by status in JSON and Prometheus text that agree with the projection", async () => {
    const job = await submit({ type: "echo" });
    await untilStatus(job.id, "completed");
    await untilProjected(job.id, 3);
    const metrics = (await get("/v1/metrics")).json<{
      byStatus: Record<string, number>;
      queues: Array<{ queue: string; waiting: number; pending: number }>;
      durations: Array<{ type: string; count: number }>;
    }>();
    const projected = api.readSide.reads.metrics({ nowMs: Date.now(), minutes: 60 });
    expect(metrics.byStatus).toEqual(projected.byStatus);
    expect(metrics.byStatus.completed).toBeGreaterThanOrEqual(1);
    expect(metrics.queues.map((q) => q.queue)).toContain("default");
    expect(metrics.durations.find((d) => d.type === "echo")?.count).toBeGreaterThanOrEqual(1);
    const text = await get("/metrics");
    expect(text.statusCode).toBe(200);
    expect(text.headers["content-type"]).toMatch(/^text\/plain/);
    expect(text.body).toContain(`docket_jobs{status="completed"} ${projected.byStatus.completed}`);
    expect(text.body).toMatch(/# TYPE docket_queue_waiting gauge/);
  });

  it("lists live workers from the registry", async () => {
    await runWorker();
    const { workers: live } = (await get("/v1/workers")).json<{
      workers: Array<{ name: string; pid: number }>;
    }>();
    await waitFor(
      async () => (await get("/v1/workers")).json<{ workers: Array<unknown> }>().workers.length > 0,
      "a worker",
    );
    expect(Array.isArray(live)).toBe(true);
    const after = (await get("/v1/workers")).json<{ workers: Array<{ name: string; pid: number }> }>()
      .workers;
    expect(after[0]).toMatchObject({ name: "test-worker", pid: process.pid });
  });

  it("is healthy with Redis latency, queue depth, workers and projection lag", async () => {
    const health = await get("/health");
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({
      status: "ok",
      redis: { latencyMs: expect.any(Number) },
      workers: expect.any(Number),
    });
    expect(health.json<{ projection: { state: string; lagMs: number } }>().projection).toMatchObject({
      state: expect.stringMatching(/^(tailing|catching_up)$/),
      lagMs: expect.any(Number),
    });
  });

  it("publishes an OpenAPI document generated from the request schemas", async () => {
    const response = await get("/openapi.json");
    expect(response.statusCode).toBe(200);
    const doc = response.json<{
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: {
              content: Record<
                string,
                {
                  schema: {
                    required?: Array<string>;
                    properties?: Record<string, { enum?: Array<string | number> }>;
                  };
                }
              >;
            };
          }
        >
      >;
    }>();
    expect(doc.openapi).toBe("3.1.0");
    for (const path of [
      "/v1/jobs",
      "/v1/jobs/bulk",
      "/v1/jobs/{id}",
      "/v1/jobs/{id}/events",
      "/v1/jobs/{id}/logs",
      "/v1/jobs/{id}/cancel",
      "/v1/jobs/{id}/retry",
      "/v1/dead-letters",
      "/v1/metrics",
      "/v1/workers",
      "/v1/events",
      "/health",
      "/metrics",
    ])
      expect(Object.keys(doc.paths)).toContain(path);
    const submitSchema = doc.paths["/v1/jobs"]?.post?.requestBody?.content["application/json"]?.schema;
    expect(submitSchema?.required).toEqual(["type"]);
    // A priority by name or by its level (the seeds' numbers): one choice each.
    const priority = submitSchema?.properties?.priority as {
      anyOf?: Array<{ enum?: Array<string | number> }>;
    };
    expect(priority.anyOf?.flatMap((choice) => choice.enum ?? [])).toEqual([
      "critical",
      "high",
      "normal",
      "low",
      30,
      20,
      10,
      0,
    ]);
  });

  it("answers unknown routes with a JSON 404", async () => {
    expectError(await get("/v1/nothing-here"), 404, "route_not_found");
    expectError(await api.app.inject({ method: "DELETE", url: "/v1/jobs" }), 404, "route_not_found");
  });
});
