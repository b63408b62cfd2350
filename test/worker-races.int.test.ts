import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusOf } from "../src/domain/index.ts";
import type { Worker } from "../src/engine/worker/index.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { checkInvariants } from "./support/invariants.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
const engines: Array<TestEngine> = [];
const workers: Array<Worker> = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop(100)));
  for (const e of engines) await e.close();
  await redis.stop();
});

const engine = async (shards = 1) => {
  const e = await makeEngine(redis.url, { shards });
  engines.push(e);
  return e;
};

describe("racing workers", () => {
  it("three workers racing over 1,200 jobs complete every job exactly once, and all invariants hold", async () => {
    const e = await engine(2);
    const counts = new Map<string, number>();
    const handler = (_payload: unknown, ctx: { jobId: string }) => {
      counts.set(ctx.jobId, (counts.get(ctx.jobId) ?? 0) + 1);
      return null;
    };
    for (const name of ["r1", "r2", "r3"]) {
      const { worker } = await startWorker(e, { race: handler }, { name, concurrency: 20 });
      workers.push(worker);
    }
    const submitted = await e.jobs.submitMany(
      Array.from({ length: 1200 }, (_, i) => ({ type: "race", payload: i })),
      apiActor,
    );
    const ids = submitted.map((r) => ("jobId" in r ? r.jobId : "missing"));
    await waitFor(
      async () =>
        (await e.store.loadHeads(ids)).every((h) => h !== null && statusOf(h.state) === "completed"),
      "all 1,200 jobs to complete",
      60_000,
    );
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(counts.size).toBe(1200);
    expect(await checkInvariants(e, ids, { drained: true })).toEqual([]);
  });
});

describe("cancellation in each state", () => {
  it("cancels pending, queued and failed jobs at once, leaving them in no queue", async () => {
    const e = await engine();
    const pending = await e.jobs.submit({ type: "c", delayMs: 60_000 }, apiActor);
    const queued = await e.jobs.submit({ type: "c", queue: "nobody-serves-this" }, apiActor);
    const failing = await e.jobs.submit(
      { type: "fails", backoff: { type: "fixed", delayMs: 60_000 } },
      apiActor,
    );
    const { worker } = await startWorker(e, {
      fails: () => {
        throw new Error("try again later");
      },
    });
    workers.push(worker);
    await waitFor(async () => statusOf((await e.jobs.get(failing.jobId)).state) === "failed", "the failure");
    for (const { jobId } of [pending, queued, failing]) {
      const head = await e.jobs.cancel(jobId, apiActor, "not needed");
      expect(statusOf(head.state)).toBe("cancelled");
    }
    expect(await e.client.zcard(e.store.keys.delayed(0))).toBe(0);
    expect(await e.client.xlen(e.store.keys.work(0, "nobody-serves-this", "normal"))).toBe(0);
    expect(await checkInvariants(e, [pending.jobId, queued.jobId, failing.jobId], { drained: true })).toEqual(
      [],
    );
    const cancelled = (await e.store.readEvents(failing.jobId)).at(-1);
    expect(cancelled).toMatchObject({
      type: "JobCancelled",
      actor: apiActor,
      data: { reason: "not needed" },
    });
  });

  it("refuses to cancel a completed or dead-lettered job", async () => {
    const e = await engine();
    const { worker } = await startWorker(e, { ok: () => 1 });
    workers.push(worker);
    const done = await e.jobs.submit({ type: "ok" }, apiActor);
    const dead = await e.jobs.submit({ type: "no-such-handler" }, apiActor);
    await waitFor(async () => statusOf((await e.jobs.get(done.jobId)).state) === "completed", "completion");
    await waitFor(
      async () => statusOf((await e.jobs.get(dead.jobId)).state) === "dead_letter",
      "dead letter",
    );
    for (const { jobId } of [done, dead])
      await expect(e.jobs.cancel(jobId, apiActor)).rejects.toMatchObject({
        _tag: "CommandRefused",
        code: "illegal_transition",
      });
  });
});
