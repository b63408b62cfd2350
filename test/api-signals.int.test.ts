/**
 * `POST /v1/jobs/:id/signal` (ADR 0043) through the real API on a real Redis and SQLite, and the
 * typed client's `signal` against it listening: a waiting job resumes with the payload; a signal
 * for a job not (yet) waiting is kept; every hostile body is a 4xx with a stable code; a repeat
 * is 409 `signal_already_received`; the job view and explain show the suspension.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocketApiError, DocketClient } from "../src/client/index.ts";
import type { JobView } from "../src/engine/read/index.ts";
import type { Worker } from "../src/engine/worker/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
let api: TestApi;
let worker: Worker;
let client: DocketClient;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
  ({ worker } = await startWorker(
    api.engine,
    { approve: async (_payload, ctx) => ctx.waitFor("approved", { timeoutMs: 60_000 }) },
    { concurrency: 2, leaseMs: 60_000 },
  ));
  const address = await api.app.listen({ port: 0, host: "127.0.0.1" });
  client = new DocketClient({ baseUrl: address, actor: "signal-test" });
});
afterAll(async () => {
  await worker.stop(100);
  await api.stop();
  await redis.stop();
});

const post = (url: string, payload: unknown = {}) =>
  api.app.inject({ method: "POST", url, payload: payload as object });
const get = (url: string) => api.app.inject({ method: "GET", url });

const expectError = (response: { statusCode: number; json: () => unknown }, status: number, code: string) => {
  expect(response.statusCode).toBe(status);
  expect((response.json() as { error: { code: string } }).error.code).toBe(code);
};

const submit = async (spec: object = { type: "approve" }): Promise<JobView> => {
  const response = await post("/v1/jobs", spec);
  expect(response.statusCode).toBe(202);
  return response.json<JobView>();
};

const untilStatus = (id: string, status: string) =>
  waitFor(async () => (await get(`/v1/jobs/${id}`)).json<JobView>().status === status, `job ${id} ${status}`);

describe("POST /v1/jobs/:id/signal", () => {
  it("wakes a waiting job with its payload; the view and explain show the wait; a repeat is 409", async () => {
    const job = await submit();
    await untilStatus(job.id, "suspended");
    const suspended = (await get(`/v1/jobs/${job.id}`)).json<JobView>();
    expect(suspended.suspension).toMatchObject({ kind: "signal", name: "approved" });
    const explained = (await get(`/v1/jobs/${job.id}/explain`)).json<{ summary: string }>();
    expect(explained.summary).toContain('waiting for the signal "approved"');
    const sent = await post(`/v1/jobs/${job.id}/signal`, { name: "approved", payload: { by: "alice" } });
    expect(sent.statusCode).toBe(200);
    await untilStatus(job.id, "completed");
    expect((await get(`/v1/jobs/${job.id}`)).json<JobView>().result).toEqual({
      timedOut: false,
      payload: { by: "alice" },
    });
    const kinds = (await get(`/v1/jobs/${job.id}/explain`))
      .json<{ sentences: Array<{ kind: string }> }>()
      .sentences.map((s) => s.kind);
    expect(kinds).toEqual(expect.arrayContaining(["suspended", "signal_received"]));
    expectError(await post(`/v1/jobs/${job.id}/signal`, { name: "approved" }), 409, "illegal_transition");
  });

  it("a signal for a job not yet waiting is kept; a second one of the same name is 409 signal_already_received", async () => {
    const job = await submit({ type: "approve", delayMs: 60_000 });
    expect((await post(`/v1/jobs/${job.id}/signal`, { name: "approved" })).statusCode).toBe(200);
    expectError(
      await post(`/v1/jobs/${job.id}/signal`, { name: "approved", payload: 2 }),
      409,
      "signal_already_received",
    );
    const events = (await get(`/v1/jobs/${job.id}/events`)).json<{ events: Array<{ type: string }> }>()
      .events;
    expect(events.map((e) => e.type)).toEqual(["JobSubmitted", "SignalReceived"]);
    await post(`/v1/jobs/${job.id}/cancel`, {});
  });

  it("refuses hostile bodies with 4xx and a stable code", async () => {
    const job = await submit({ type: "approve", delayMs: 60_000 });
    const url = `/v1/jobs/${job.id}/signal`;
    for (const body of [
      {},
      { name: "" },
      { name: "has space" },
      { name: "x".repeat(200) },
      { name: 42 },
      { name: "ok", extra: 1 },
      { name: "ok", payload: { deep: JSON.parse("[".repeat(80) + "]".repeat(80)) } },
    ])
      expect([400, 422]).toContain((await post(url, body)).statusCode);
    expectError(await post(url, { name: "big", payload: "x".repeat(70 * 1024) }), 400, "invalid_job_spec");
    expectError(await post(`/v1/jobs/no-such-job/signal`, { name: "a" }), 404, "job_not_found");
    await post(`/v1/jobs/${job.id}/cancel`, {});
  });

  it("the typed client sends a signal, and reports a repeat as a DocketApiError 409", async () => {
    const job = await submit();
    await untilStatus(job.id, "suspended");
    const view = await client.signal(job.id, "approved", [1, 2, 3]);
    expect(["queued", "processing", "completed"]).toContain(view.status);
    await untilStatus(job.id, "completed");
    const again = await client.signal(job.id, "approved").catch((e: unknown) => e);
    expect(again).toBeInstanceOf(DocketApiError);
    expect((again as DocketApiError).status).toBe(409);
  });
});
