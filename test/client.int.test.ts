/**
 * The typed client against a real listening API (real Redis, real SQLite): every method, and
 * API errors surfacing as DocketApiError with the stable code.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoHandlers } from "../src/cli/demo-handlers.ts";
import { DocketApiError, DocketClient } from "../src/client/index.ts";
import type { Worker } from "../src/engine/worker/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
let api: TestApi;
let client: DocketClient;
let address: string;
let worker: Worker;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url, { token: "client-token" });
  address = await api.app.listen({ port: 0, host: "127.0.0.1" });
  client = new DocketClient({ baseUrl: address, token: "client-token", actor: "client-test" });
  worker = (await startWorker(api.engine, demoHandlers, { concurrency: 4 })).worker;
});
afterAll(async () => {
  await worker.stop(100);
  await api.stop();
  await redis.stop();
});

describe("DocketClient", () => {
  it("submits, waits with progress updates, and reads events", async () => {
    const job = await client.submit({ type: "sleep", payload: { ms: 100 } });
    // A live worker may already have taken it by the time the answer is built.
    expect(["queued", "processing"]).toContain(job.status);
    const seen: Array<number> = [];
    const done = await client.wait(job.id, { onUpdate: (j) => seen.push(j.version) });
    expect(done.status).toBe("completed");
    expect(seen.length).toBeGreaterThan(1);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    const events = await client.events(job.id);
    expect(events.at(-1)?.type).toBe("JobCompleted");
    // Ten reports in 100 ms: recorded at most every 200 ms, the last one always (job-chain.ts).
    const progress = events.filter((e) => e.type === "ProgressReported");
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThanOrEqual(10);
    expect(progress.at(-1)?.data).toMatchObject({ progress: { current: 10, total: 10 } });
  });

  it("passes a traceparent the job records, and reads a job's stream from its start", async () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const job = await client.submit({ type: "echo", queue: "idle" }, { traceparent });
    const [bulk] = await client.submitMany([{ type: "echo", queue: "idle" }], { traceparent });
    for (const id of [job.id, bulk !== undefined && "id" in bulk ? bulk.id : ""]) {
      const submitted = (await client.events(id)).find((e) => e.type === "JobSubmitted");
      expect(submitted?.data).toMatchObject({ traceparent });
    }
    const stop = new AbortController();
    const seen: Array<string> = [];
    for await (const message of client.stream({
      jobId: job.id,
      lastEventId: `${job.id}:0`,
      signal: stop.signal,
    })) {
      seen.push(`${message.id} ${message.event.type}`);
      if (seen.length === 1) await client.cancel(job.id);
      if (seen.length === 2) break;
    }
    stop.abort();
    expect(seen).toEqual([`${job.id}:1 JobSubmitted`, `${job.id}:2 JobCancelled`]);
  });

  it("submits in bulk, lists with filters and pages, and cancels", async () => {
    const type = `bulk-${Date.now()}`;
    const items = await client.submitMany([{ type, queue: "idle" }, { type, queue: "idle" }, { type: "" }]);
    expect(items.filter((i) => "id" in i)).toHaveLength(2);
    expect(items[2]).toMatchObject({ index: 2, error: { code: "invalid_job_spec" } });
    const ids = items.flatMap((i) => ("id" in i ? [i.id] : []));
    await waitFor(async () => (await client.list({ type })).jobs.length === 2, "the projection to list both");
    const page = await client.list({ type, limit: 1 });
    expect(page.jobs).toHaveLength(1);
    expect(page.nextCursor).toBeDefined();
    const cancelled = await client.cancel(ids[0] ?? "", "no longer needed");
    expect(cancelled).toMatchObject({ status: "cancelled", cancelReason: "no longer needed" });
  });

  it("retries a dead letter and lists dead letters; metrics, workers and health answer", async () => {
    const job = await client.submit({ type: "fail", payload: { retryable: false } });
    expect((await client.wait(job.id)).status).toBe("dead_letter");
    expect((await client.deadLetters()).map((j) => j.id)).toContain(job.id);
    const dead = await client.get(job.id);
    const retried = await client.retry(job.id, { reason: "try again", attempts: 1 });
    expect(retried.version).toBeGreaterThan(dead.version);
    expect((await client.wait(job.id)).status).toBe("dead_letter");
    const events = await client.events(job.id);
    // The token's name is the actor (`default`: the single token); the client's actor is a claim.
    expect(events.find((e) => e.type === "JobRetried")?.actor).toEqual({
      kind: "client",
      id: "default",
      unauthenticatedClaim: "client-test",
    });
    // Retry every dead letter at once, with the reason recorded on each.
    expect(await client.retryDeadLetters("all of them again")).toBeGreaterThanOrEqual(1);
    const again = (await client.events(job.id)).filter((e) => e.type === "JobRetried");
    expect(again).toHaveLength(2);
    expect(JSON.stringify(again[1]?.data)).toContain("all of them again");
    expect((await client.metrics()).byStatus).toBeDefined();
    expect((await client.workers()).length).toBeGreaterThan(0);
    expect((await client.health()).status).toBe("ok");
  });

  it("turns API errors into DocketApiError with status and code", async () => {
    const unknown = await client.get("0190a0a0-0000-7000-8000-000000000000").catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(DocketApiError);
    expect(unknown).toMatchObject({ status: 404, code: "job_not_found" });
    const invalid = await client
      .submit({ type: "echo", priority: "urgent" as never })
      .catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 400, code: "invalid_job_spec", details: { field: "priority" } });
    const anonymous = new DocketClient({ baseUrl: address });
    await expect(anonymous.list()).rejects.toMatchObject({ status: 401, code: "unauthorized" });
    const pending = await client.submit({ type: "echo", queue: "idle" });
    await expect(client.wait(pending.id, { timeoutMs: 50 })).rejects.toMatchObject({
      code: "wait_timeout",
    });
  });
});
