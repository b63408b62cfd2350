/**
 * An idempotency key outlives its job's stay in Redis by DOCKET_RETAIN_IDEMPOTENCY_KEYS (ADR 0034,
 * amended): a repeat after the job left Redis answers with the archived job instead of making a
 * second one. Schedules rely on it: a tick is exactly once through its key (ADR 0037), also when
 * the scheduler that submitted the tick's job died before recording the tick and the job ended and
 * left Redis before another scheduler took the tick up (found by an attacker's test; before, the
 * key left with the job and the tick fired twice).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScheduleEnvelope } from "../src/domain/index.ts";
import { Scheduler, type ScheduleStore } from "../src/engine/schedule/index.ts";
import { Keys } from "../src/infra/redis/keys.ts";
import { RedisScheduleStore } from "../src/infra/redis/redis-schedule-store.ts";
import { composeArchiver } from "../src/main.ts";
import { apiActor, makeEngine } from "./support/engine.ts";
import { ManualClock } from "./support/manual-clock.ts";
import { keysMatching, startRedis, type TestRedis } from "./support/redis.ts";
import { tempDirs } from "./support/temp-dirs.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
const tempDir = tempDirs("docket-idempotency-eviction-");

/** An engine whose archiver seals at once and evicts finished jobs 1 ms after they end. */
const deployment = async (idempotencyKeysMs?: number) => {
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
      retention: {
        completedMs: 1,
        deadLetterMs: 1,
        cancelledMs: 1,
        ...(idempotencyKeysMs === undefined ? {} : { idempotencyKeysMs }),
      },
    },
  );
  /** Run every queued job, then let the archiver seal and evict what ended. */
  const runAndEvict = async () => {
    await (
      await startWorker(engine, { echo: async (payload) => payload }, { burst: true, clock })
    ).done;
    clock.advance(1_000);
    await archiver.runOnce();
    await archiver.runOnce();
  };
  return { clock, engine, archiver, runAndEvict };
};

describe("a repeat after the job left Redis", () => {
  it("answers with the archived job for a day after it left (the key's time to live), and appends nothing", async () => {
    const { engine, archiver, runAndEvict } = await deployment();
    try {
      const spec = { type: "echo", payload: { n: 1 }, idempotencyKey: "order-42" };
      const first = await engine.jobs.submit(spec, apiActor);
      await runAndEvict();
      expect(await engine.jobs.tierOf(first.jobId)).toBe("archive");
      const ttl = await engine.client.pttl(engine.store.keys.idempotency(0, "order-42"));
      expect(ttl).toBeGreaterThan(24 * 3_600_000 - 60_000);
      expect(ttl).toBeLessThanOrEqual(24 * 3_600_000);

      // Everything was sealed and trimmed: an append now would be the log's only entry.
      const log = engine.store.keys.log(0);
      expect(await engine.client.xlen(log)).toBe(0);
      const again = await engine.jobs.submit(spec, apiActor);
      expect(again).toMatchObject({ jobId: first.jobId, created: false });
      expect(await engine.jobs.tierOf(first.jobId)).toBe("archive");
      expect(await engine.client.xlen(log)).toBe(0);
    } finally {
      await archiver.stop();
      await engine.close();
    }
  });

  it("makes a new job when the window is 0s: the key left with the job", async () => {
    const { engine, archiver, runAndEvict } = await deployment(0);
    try {
      const spec = { type: "echo", payload: { n: 2 }, idempotencyKey: "order-43" };
      const first = await engine.jobs.submit(spec, apiActor);
      await runAndEvict();
      expect(await engine.jobs.tierOf(first.jobId)).toBe("archive");
      expect(await engine.client.exists(engine.store.keys.idempotency(0, "order-43"))).toBe(0);
      const again = await engine.jobs.submit(spec, apiActor);
      expect(again.created).toBe(true);
      expect(again.jobId).not.toBe(first.jobId);
    } finally {
      await archiver.stop();
      await engine.close();
    }
  });
});

it("a tick whose scheduler died before recording it is not fired again once its job has left Redis", async () => {
  const { clock, engine, archiver } = await deployment();
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
    const [idemKey] = await keysMatching(engine.client, `${engine.prefix}:*:idem:schedule:*`);
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
    // The tick records the job its dead scheduler submitted: none is submitted a second time.
    expect(fired.map((e) => (e.data as { jobId: string }).jobId)).toEqual([first]);
  } finally {
    await archiver.stop();
    await engine.close();
  }
});
