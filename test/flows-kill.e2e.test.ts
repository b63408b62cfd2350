/**
 * Exactly-once release with real processes (issue 18, ADR 0042): flows run on `docket worker`
 * processes (each runs a dependency follower); one worker is SIGKILLed with children in flight
 * and Redis is restarted (AOF on) in the middle. Every parent is released exactly once, after all
 * of its children ended, and its handler sees every child's result.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../src/domain/index.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { spawnWorkerProcess } from "./support/worker-process.ts";

let redis: TestRedis;
let engine: TestEngine;
const prefix = uniquePrefix();
const children: Array<ReturnType<typeof spawnWorkerProcess>> = [];

const worker = (name: string) => {
  const spawned = spawnWorkerProcess(
    "test/fixtures/flow-handlers.ts",
    ["--name", name, "--concurrency", "4"],
    {
      REDIS_URL: redis.url,
      DOCKET_PREFIX: prefix,
      DOCKET_SHARDS: "2",
      DOCKET_LEASE_MS: "1000",
    },
  );
  children.push(spawned);
  return spawned;
};

beforeAll(async () => {
  redis = await startRedis({ appendOnly: true, own: true });
  engine = await makeEngine(redis.url, { prefix, shards: 2 });
});
afterAll(async () => {
  for (const { child } of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await Promise.all(children.map((c) => c.exited));
  await engine?.close();
  await redis?.stop();
});

describe("flows across a worker SIGKILL and a Redis restart", () => {
  it("every parent is released exactly once, after every child ended, and sees every child's result", async () => {
    const parents: Array<string> = [];
    for (let i = 0; i < 12; i++) {
      const { jobId } = await engine.jobs.submitFlow(
        {
          job: { type: "sum" },
          children: Array.from({ length: 4 }, (_, n) => ({ job: { type: "piece", payload: { n: n + 1 } } })),
        },
        apiActor,
      );
      parents.push(jobId);
    }
    const first = worker("flow-w1");
    worker("flow-w2");
    const completedChildren = async () => {
      let done = 0;
      for (const p of parents)
        for (const d of (await engine.jobs.tree(p)).dependencies) if (d.status === "completed") done++;
      return done;
    };
    // Some children done, others in flight: kill one worker outright.
    await waitFor(async () => (await completedChildren()) >= 8, "some children to complete", 30_000);
    first.child.kill("SIGKILL");
    await first.exited;
    // And restart Redis under the survivors (AOF on: nothing acknowledged is lost).
    await redis.restart();
    worker("flow-w3");
    for (const p of parents)
      await waitFor(
        async () => (await engine.jobs.view(p).catch(() => null))?.status === "completed",
        `parent ${p} to complete`,
        60_000,
      );
    for (const p of parents) {
      const events = await engine.store.readEvents(p);
      expect(events.filter((e) => e.type === "JobReleased")).toHaveLength(1);
      expect(events.filter((e) => e.type === "DependencyEnded")).toHaveLength(4);
      const released = events.find((e) => e.type === "JobReleased") as Envelope;
      const tree = await engine.jobs.tree(p);
      for (const child of tree.dependencies) {
        const childEvents = await engine.store.readEvents(child.id);
        const end = childEvents.find((e) => e.type === "JobCompleted") as Envelope;
        expect(end, `child ${child.id} completed`).toBeDefined();
        expect(Date.parse(end.at)).toBeLessThanOrEqual(Date.parse(released.at));
      }
      expect((await engine.jobs.view(p)).result).toEqual({
        statuses: ["completed", "completed", "completed", "completed"],
        sum: 10,
      });
    }
  });
});
