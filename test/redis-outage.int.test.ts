import * as Result from "effect/Result";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusOf, verifyChain } from "../src/domain/index.ts";
import { QueueUnavailable } from "../src/engine/shared/index.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { checkInvariants } from "./support/invariants.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker, workerOn } from "./support/workers.ts";

let redis: TestRedis;
let engine: TestEngine;

beforeAll(async () => {
  // Its own server even when REDIS_URL is given: these tests kill and restart it.
  redis = await startRedis({ appendOnly: true, own: true });
  engine = await makeEngine(redis.url);
});
afterAll(async () => {
  await engine.close();
  await redis.stop();
});

describe("a Redis restart (AOF on)", () => {
  it("refuses submits fast while Redis is down, and workers resume afterwards losing and repeating nothing", async () => {
    const { worker, done } = await startWorker(
      engine,
      { work: () => new Promise((r) => setTimeout(() => r("ok"), 10)) },
      { concurrency: 5, leaseMs: 5_000 },
    );
    const before = await engine.jobs.submitMany(
      Array.from({ length: 60 }, (_, i) => ({ type: "work", payload: i })),
      apiActor,
    );
    const ids = before.map((r) => ("jobId" in r ? r.jobId : ""));
    await waitFor(async () => {
      const heads = await engine.store.loadHeads(ids);
      return heads.filter((h) => h !== null && statusOf(h.state) === "completed").length >= 10;
    }, "some jobs to complete before the outage");

    redis.kill();
    const outage = await engine.jobs.submit({ type: "work" }, apiActor).catch((x: unknown) => x);
    expect(outage).toBeInstanceOf(QueueUnavailable);
    await new Promise((r) => setTimeout(r, 500));
    await redis.restart();

    const after = await waitFor(
      () =>
        engine.jobs
          .submitMany(
            Array.from({ length: 20 }, (_, i) => ({ type: "work", payload: 100 + i })),
            apiActor,
          )
          .catch(() => undefined),
      "Redis to accept submits again",
    );
    for (const r of after) if ("jobId" in r) ids.push(r.jobId);
    expect(ids.filter((id) => id !== "")).toHaveLength(80);

    await waitFor(
      async () => {
        const heads = await engine.store.loadHeads(ids);
        return heads.every((h) => h !== null && statusOf(h.state) === "completed");
      },
      "every job to complete after the restart",
      30_000,
    );
    for (const id of ids) {
      const events = await engine.store.readEvents(id);
      expect(
        events.filter((e) => e.type === "JobCompleted"),
        id,
      ).toHaveLength(1);
      expect(Result.isSuccess(verifyChain(events)), id).toBe(true);
    }
    expect(await checkInvariants(engine, ids, { drained: true })).toEqual([]);
    await worker.stop(1_000);
    await done;
  });

  it("a worker started while Redis is down waits for it and then runs the queued work", async () => {
    const queued = await engine.jobs.submit({ type: "later", queue: "outage-start" }, apiActor);
    // The worker's connections exist (as a process's would) but Redis dies before it runs.
    const ports = await engine.workerPorts();
    redis.kill();
    const worker = workerOn(
      ports,
      { later: () => "ran" },
      { name: "early-bird", queues: ["outage-start"], concurrency: 1 },
    );
    const done = worker.run();
    let ended = false;
    void done.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(ended).toBe(false);
    await redis.restart();
    await waitFor(
      // The test's own connection may still be reconnecting: that is "not yet", not a failure.
      async () =>
        engine.jobs.get(queued.jobId).then(
          (head) => statusOf(head.state) === "completed",
          () => false,
        ),
      "the job to run once Redis is back",
      30_000,
    );
    await worker.stop(1_000);
    await done;
  });
});
