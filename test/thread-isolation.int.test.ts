/**
 * Thread isolation (issue 15 §4, ADR 0040) on a real Worker and a real Redis: a handler that never
 * yields is stopped by its timeout (recorded as `timeout`) or by a cancel, whatever a handler in a
 * thread throws, returns or does to its thread ends its attempt with a recorded outcome, and the
 * worker goes on serving (its heartbeat included) with its pool replenished.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Envelope, statusOf } from "../src/domain/index.ts";
import type { Worker } from "../src/engine/worker/index.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

const MODULE = new URL("./fixtures/thread-handlers.ts", import.meta.url).href;

let redis: TestRedis;
let engine: TestEngine;
let worker: Worker;

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
  ({ worker } = await startWorker(
    engine,
    {},
    {
      leaseMs: 60_000,
      concurrency: 2,
      isolation: { kind: "thread", module: MODULE },
    },
  ));
}, 60_000);
afterAll(async () => {
  await worker.stop(100);
  await engine.close();
  await redis.stop();
});

const ended = (status: string) => ["completed", "dead_letter", "cancelled", "pending"].includes(status);

/** Submit one job and wait for its first attempt to end; returns its history. */
const run = async (type: string, spec: Record<string, unknown> = {}): Promise<ReadonlyArray<Envelope>> => {
  const { jobId } = await engine.jobs.submit({ type, maxAttempts: 1, ...spec }, apiActor);
  await waitFor(
    async () => ended(statusOf((await engine.jobs.get(jobId)).state)),
    `job ${jobId} (${type}) to end`,
    20_000,
  );
  return engine.store.readEvents(jobId);
};

const failureOf = (events: ReadonlyArray<Envelope>) => {
  const failed = events.find((e) => e.type === "AttemptFailed");
  expect(failed, `an AttemptFailed in ${events.map((e) => e.type).join(",")}`).toBeDefined();
  return (failed as Envelope & { data: { error: { code: string; message: string; retryable: boolean } } })
    .data.error;
};

const resultOf = (events: ReadonlyArray<Envelope>) => {
  const completed = events.find((e) => e.type === "JobCompleted");
  expect(completed, `a JobCompleted in ${events.map((e) => e.type).join(",")}`).toBeDefined();
  return (completed as Envelope & { data: { result: unknown } }).data.result;
};

describe("thread isolation", () => {
  it("a spinning handler past its timeout is terminated and recorded as timed out, long before it would have finished", async () => {
    // Warm: the pool's first thread has started (its start-up is not the job's time).
    const cold = Date.now();
    await run("echo", { payload: 0 });
    console.log(
      `a cold thread's first job (thread start-up, tsx and the module included): ${Date.now() - cold} ms`,
    );
    const events = await run("spin", { payload: { ms: 2_500 }, timeoutMs: 500 });
    expect(failureOf(events)).toMatchObject({ code: "timeout", retryable: true });
    expect(events.some((e) => e.type === "JobCompleted")).toBe(false);
    // The loop would have run 2,500 ms; the attempt ended at its timeout.
    const startedAt = Date.parse(events.find((e) => e.type === "AttemptStarted")?.at ?? "");
    const failedAt = Date.parse(events.find((e) => e.type === "AttemptFailed")?.at ?? "");
    console.log(
      `a 2,500 ms spin with timeoutMs 500: attempt recorded as timed out after ${failedAt - startedAt} ms`,
    );
    expect(failedAt - startedAt).toBeLessThan(2_000);
    // The worker keeps serving: the next job completes on a fresh or reused thread.
    expect(resultOf(await run("echo", { payload: { n: 1 } }))).toMatchObject({
      payload: { n: 1 },
      attempt: 1,
    });
  });

  it("the worker stays healthy while a thread spins: it heartbeats and runs another job meanwhile", async () => {
    const { jobId } = await engine.jobs.submit(
      { type: "spin", payload: { ms: 3_000 }, maxAttempts: 1 },
      apiActor,
    );
    await waitFor(
      async () => statusOf((await engine.jobs.get(jobId)).state) === "processing",
      "the spin to start",
    );
    const before = (await engine.registry.list(Date.now())).find((w) => w.id === worker.id)?.lastSeenAt;
    expect(resultOf(await run("echo", { payload: 2 }))).toMatchObject({ payload: 2 });
    await waitFor(
      async () =>
        (await engine.registry.list(Date.now())).find((w) => w.id === worker.id)?.lastSeenAt !== before,
      "a heartbeat while the thread spins",
      2_000,
    );
    await waitFor(
      async () => statusOf((await engine.jobs.get(jobId)).state) === "completed",
      "the spin to end",
    );
  });

  it("a cancel terminates a spinning thread-isolated handler and the worker records nothing more", async () => {
    const { jobId } = await engine.jobs.submit(
      { type: "spin", payload: { ms: 30_000 }, maxAttempts: 1 },
      apiActor,
    );
    await waitFor(
      async () => statusOf((await engine.jobs.get(jobId)).state) === "processing",
      "the spin to start",
    );
    const threads = worker.threads?.threads ?? 0;
    await engine.jobs.cancel(jobId, apiActor, "test");
    // The thread is gone within the lease renewal (leaseMs/3 here is 20 s: well before that).
    await waitFor(() => worker.inFlight.size === 0, "the worker to let the job go", 5_000);
    expect(statusOf((await engine.jobs.get(jobId)).state)).toBe("cancelled");
    expect((await engine.store.readEvents(jobId)).at(-1)?.type).toBe("JobCancelled");
    expect(worker.threads?.threads).toBeLessThanOrEqual(threads);
    expect(resultOf(await run("echo", { payload: 3 }))).toMatchObject({ payload: 3 });
  });

  it("context calls from a thread are recorded, hostile ones as the in-process refusals", async () => {
    const events = await run("chatty");
    expect(resultOf(events)).toBe("done");
    const lines = events
      .filter((e) => e.type === "LogRecorded")
      .map((e) => (e.data as { line: string }).line);
    expect(lines[0]).toBe("hello from a thread");
    expect(lines.some((l) => l.includes("refused"))).toBe(true);
    expect(events.some((e) => e.type === "ProgressReported")).toBe(true);
    expect(events.some((e) => e.type === "MetaUpdated")).toBe(true);
  });

  it("what a handler throws or returns in a thread is recorded as in-process", async () => {
    expect(failureOf(await run("throw-string"))).toMatchObject({
      code: "handler_error",
      message: "Error: a plain string",
      retryable: true,
    });
    expect(failureOf(await run("throw-coded"))).toMatchObject({ code: "card_declined", retryable: false });
    expect(failureOf(await run("return-function"))).toMatchObject({
      code: "invalid_result",
      retryable: false,
    });
    expect(failureOf(await run("return-map"))).toMatchObject({ code: "invalid_result" });
    expect(failureOf(await run("no-such-type"))).toMatchObject({ code: "no_handler", retryable: false });
  });

  it("a handler that never resolves ends at its timeout", async () => {
    expect(failureOf(await run("never-resolves", { timeoutMs: 300 }))).toMatchObject({ code: "timeout" });
  });

  it("a thread that exits or dies of an uncaught exception fails its attempt, and the pool serves on", async () => {
    expect(failureOf(await run("exit-thread"))).toMatchObject({ code: "handler_crashed", retryable: true });
    const uncaught = failureOf(await run("uncaught-later"));
    expect(uncaught).toMatchObject({ code: "handler_crashed", retryable: true });
    expect(uncaught.message).toContain("thrown from a timer");
    expect(resultOf(await run("echo", { payload: 4 }))).toMatchObject({ payload: 4 });
    expect(worker.threads?.threads).toBeLessThanOrEqual(2);
  });

  it("a handler module the thread cannot load fails the attempt without retry, naming the module", async () => {
    const { worker: broken } = await startWorker(
      engine,
      {},
      {
        name: "broken-module",
        queues: ["broken"],
        isolation: { kind: "thread", module: new URL("./fixtures/no-such-module.ts", import.meta.url).href },
      },
    );
    try {
      const { jobId } = await engine.jobs.submit({ type: "echo", queue: "broken", maxAttempts: 3 }, apiActor);
      await waitFor(
        async () => statusOf((await engine.jobs.get(jobId)).state) === "dead_letter",
        "a dead letter",
      );
      const error = failureOf(await engine.store.readEvents(jobId));
      expect(error).toMatchObject({ code: "handler_load_failed", retryable: false });
      expect(error.message).toContain("no-such-module");
    } finally {
      await broken.stop(100);
    }
  });

  it("a context call made after its attempt ended is recorded on no job, not on the next one its thread runs", async () => {
    const late = (await run("late-log")).at(0)?.jobId ?? "";
    // Its thread is the one put back last, so it runs this one while the late call arrives.
    const next = (await run("never-resolves", { timeoutMs: 500 })).at(0)?.jobId ?? "";
    await new Promise((r) => setTimeout(r, 300));
    for (const jobId of [late, next]) {
      const lines = (await engine.store.readEvents(jobId)).filter((e) => e.type === "LogRecorded");
      expect(lines, `job ${jobId}`).toEqual([]);
    }
  });
});
