/**
 * The in-process API (src/library, the package's main entry) against a real Redis: connect,
 * submit one and many, get, events, wait, cancel, retry, dead letters; a worker with typed
 * handlers, run and stopped; what it records is what the HTTP API records, with this process
 * as the actor.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CommandRefused,
  connect,
  type Docket,
  defineHandlers,
  type DocketWorker,
  InvalidJobSpec,
  JobNotFound,
  NonRetryableError,
  type PayloadsOf,
  QueueUnavailable,
  WaitTimeout,
} from "../src/index.ts";
import { freePort, startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

const handlers = defineHandlers({
  greet: async (payload: { name: string }, ctx) => {
    await ctx.progress(1, 1, "greeted");
    return { greeting: `hello ${payload.name}` };
  },
  refuse: (payload: { why: string }) => {
    throw new NonRetryableError(payload.why, "refused");
  },
  hold: (_payload: null, ctx) =>
    new Promise((resolve) => ctx.signal.addEventListener("abort", () => resolve("aborted"))),
});
type Payloads = PayloadsOf<typeof handlers>;

let redis: TestRedis;
let docket: Docket<Payloads>;
let worker: DocketWorker;
let running: Promise<void>;

beforeAll(async () => {
  redis = await startRedis();
  docket = await connect<Payloads>({ redisUrl: redis.url, prefix: uniquePrefix(), actor: "library-test" });
  worker = await docket.worker({ handlers, queues: ["default", "slow"], concurrency: 4, graceMs: 200 });
  running = worker.run();
});
afterAll(async () => {
  await docket.close();
  await running;
  await redis.stop();
});

describe("the in-process API", () => {
  it("submits a typed job, a worker runs its typed handler, and wait returns the result", async () => {
    const job = await docket.submit("greet", { name: "Ada" });
    expect(job.type).toBe("greet");
    expect(["queued", "processing", "completed"]).toContain(job.status);
    const versions: Array<number> = [];
    const done = await docket.wait(job.id, { pollMs: 10, onUpdate: (j) => versions.push(j.version) });
    expect(done).toMatchObject({ status: "completed", result: { greeting: "hello Ada" }, attempts: 1 });
    expect(versions.at(-1)).toBe(done.version);
    const events = await docket.events(job.id);
    expect(events.map((e) => e.type)).toEqual([
      "JobSubmitted",
      "AttemptStarted",
      "ProgressReported",
      "JobCompleted",
    ]);
    expect(events[0]?.actor).toEqual({ kind: "client", id: "library-test" });
    expect(events[1]?.actor).toMatchObject({ kind: "worker", id: worker.id });
  });

  it("submits many: each job on its own, a bad one reported by index without blocking the others", async () => {
    const outcomes = await docket.submitMany([
      { type: "greet", payload: { name: "one" } },
      // Types say a payload is any value for an unknown key; the engine refuses a bad spec.
      { type: "greet", payload: { name: "two" }, maxAttempts: 0 },
      { type: "greet", payload: { name: "three" }, idempotencyKey: "three" },
    ]);
    expect(outcomes).toHaveLength(3);
    expect(outcomes[1]).toMatchObject({ index: 1, error: expect.any(InvalidJobSpec) });
    const ids = outcomes.flatMap((o) => ("id" in o ? [o.id] : []));
    expect(ids).toHaveLength(2);
    for (const id of ids)
      expect((await docket.wait(id)).result).toMatchObject({ greeting: expect.any(String) });
    const again = await docket.submit("greet", { name: "three" }, { idempotencyKey: "three" });
    expect(again.id).toBe(ids[1]);
  });

  it("a non-retryable failure dead-letters the job; retry revives it, recorded with the reason", async () => {
    const job = await docket.submit("refuse", { why: "no" });
    const dead = await docket.wait(job.id);
    expect(dead).toMatchObject({ status: "dead_letter", error: { code: "refused", retryable: false } });
    expect((await docket.deadLetters()).map((j) => j.id)).toContain(job.id);
    const retried = await docket.retry(job.id, { reason: "try again", attempts: 1 });
    expect(["queued", "processing", "dead_letter"]).toContain(retried.status);
    const events = await docket.events(job.id);
    expect(events.find((e) => e.type === "JobRetried")).toMatchObject({
      actor: { kind: "client", id: "library-test" },
      data: { reason: "try again" },
    });
  });

  it("cancels a running job (its handler's signal is aborted); a second cancel appends nothing; a completed job cannot be cancelled", async () => {
    const job = await docket.submit("hold", null, { queue: "slow" });
    await waitFor(async () => (await docket.get(job.id)).status === "processing", "the job to start");
    const cancelled = await docket.cancel(job.id, { reason: "not needed" });
    expect(cancelled).toMatchObject({ status: "cancelled", cancelReason: "not needed" });
    expect((await docket.cancel(job.id)).version).toBe(cancelled.version);
    const completed = await docket.wait((await docket.submit("greet", { name: "done" })).id);
    await expect(docket.cancel(completed.id)).rejects.toBeInstanceOf(CommandRefused);
  });

  it("wait gives up after timeoutMs with the job as it was; unknown ids are JobNotFound", async () => {
    const job = await docket.submit("greet", { name: "later" }, { delayMs: 60_000 });
    const error = await docket.wait(job.id, { timeoutMs: 50, pollMs: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeout);
    expect((error as WaitTimeout).job).toMatchObject({ id: job.id, status: "pending" });
    await expect(docket.get("no-such-job")).rejects.toBeInstanceOf(JobNotFound);
    await expect(
      docket.submit("greet", { name: "x" }, { priority: "urgent" as "high" }),
    ).rejects.toBeInstanceOf(InvalidJobSpec);
  });

  it("a burst worker runs what is runnable, then stops by itself and releases its connections", async () => {
    const prefix = uniquePrefix();
    const own = await connect<Payloads>({ redisUrl: redis.url, prefix });
    try {
      const jobs = await Promise.all(["a", "b", "c"].map((name) => own.submit("greet", { name })));
      const burst = await own.worker({ handlers: { greet: handlers.greet }, burst: true, name: "burst" });
      await burst.run();
      for (const job of jobs) expect((await own.get(job.id)).status).toBe("completed");
      expect(burst.info().inFlight).toBe(0);
    } finally {
      await own.close();
    }
  });

  it("connect fails with QueueUnavailable when no Redis answers", async () => {
    const port = await freePort();
    await expect(connect({ redisUrl: `redis://127.0.0.1:${port}`, timeoutMs: 300 })).rejects.toBeInstanceOf(
      QueueUnavailable,
    );
  });
});
