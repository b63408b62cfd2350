/**
 * A known gap, kept as a failing expectation (`it.fails`) until it is fixed: a schedule's tick is
 * exactly once through the tick's idempotency key (ADR 0037), and that key leaves Redis with its
 * job (ADR 0034). A scheduler that dies after submitting a tick's job and before recording
 * ScheduleFired leaves the tick to be fired again by the next scheduler pass; if the job has
 * ended and left Redis by then (a short retention, e.g. the schedule's job with `retainMs: 0`),
 * the key is gone and the tick submits a second job. When this test starts to pass, turn
 * `it.fails` into `it`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ScheduleEnvelope } from "../src/domain/index.ts";
import { Scheduler, type ScheduleStore } from "../src/engine/schedule/index.ts";
import { Keys } from "../src/infra/redis/keys.ts";
import { RedisScheduleStore } from "../src/infra/redis/redis-schedule-store.ts";
import { composeArchiver } from "../src/main.ts";
import { apiActor, makeEngine } from "./support/engine.ts";
import { ManualClock } from "./support/manual-clock.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
const dirs: Array<string> = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "docket-schedule-eviction-"));
  dirs.push(dir);
  return dir;
};

it.fails(
  "a tick whose scheduler died before recording it is not fired again once its job has left Redis",
  async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const engine = await makeEngine(redis.url, { shards: 1, clock });
    const archiver = composeArchiver(
      { client: engine.client, prefix: engine.prefix, shards: 1, clock },
      {
        archiveDir: tempDir(),
        dataDir: tempDir(),
        segmentEntries: 1,
        maxAgeMs: 10,
        leaseMs: 60_000,
        pollMs: 20,
        retention: { completedMs: 1, deadLetterMs: 1, cancelledMs: 1 },
      },
    );
    try {
      await engine.schedules.create(
        { name: "every-second", cron: "* * * * * *", job: { type: "echo", retainMs: 0 } },
        apiActor,
      );
      const store = new RedisScheduleStore(engine.client, new Keys(engine.prefix, 1));
      // The first scheduler submits the tick's job, then dies before its ScheduleFired is appended.
      const dying: ScheduleStore = {
        load: (name) => store.load(name),
        count: () => store.count(),
        list: () => store.list(),
        history: (name) => store.history(name),
        append: async (expected, envelopes, state) => {
          if (envelopes[0]?.type === "ScheduleFired") throw new Error("the process died here");
          return store.append(expected, envelopes, state);
        },
      };
      clock.advance(1_000);
      await expect(
        new Scheduler({ store: dying, jobs: engine.jobs, clock, id: "dies" }).runOnce(),
      ).rejects.toThrow();
      const [idemKey] = await engine.client.keys(`${engine.prefix}:*:idem:schedule:*`);
      const first = await engine.client.get(idemKey as string);
      // The job runs, ends, and leaves Redis (retainMs 0) before another scheduler takes the tick up.
      await (
        await startWorker(engine, { echo: async (payload) => payload }, { burst: true, clock })
      ).done;
      await archiver.runOnce();
      await archiver.runOnce();
      expect(await engine.jobs.tierOf(first as string)).toBe("archive");

      await new Scheduler({ store, jobs: engine.jobs, clock, id: "next" }).runOnce();
      const fired = (await engine.schedules.history("every-second")).events.filter(
        (e) => (e as ScheduleEnvelope).type === "ScheduleFired",
      ) as ReadonlyArray<ScheduleEnvelope>;
      // Today: the tick records a second job, which runs too.
      expect(fired.map((e) => (e.data as { jobId: string }).jobId)).toEqual([first]);
    } finally {
      await archiver.stop();
      await engine.close();
    }
  },
);
