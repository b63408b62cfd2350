/**
 * An idempotency key outlives its job's stay in Redis by DOCKET_RETAIN_IDEMPOTENCY_KEYS (ADR 0034,
 * amended): a repeat after the job left Redis answers with the archived job instead of making a
 * second one. Schedules rely on it: a tick is exactly once through its key (ADR 0037), also when
 * the scheduler that submitted the tick's job died before recording the tick and the job ended and
 * left Redis before another scheduler took the tick up (found by an attacker's test; before, the
 * key left with the job and the tick fired twice).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScheduleEnvelope } from "../src/domain/index.ts";
import { Scheduler, type ScheduleStore } from "../src/engine/schedule/index.ts";
import { Keys } from "../src/infra/redis/keys.ts";
import { RedisScheduleStore } from "../src/infra/redis/redis-schedule-store.ts";
import { composeArchiver } from "../src/main.ts";
import { startApi } from "./support/api.ts";
import { takeViolations } from "./support/contract.ts";
import { apiActor, makeEngine } from "./support/engine.ts";
import { ManualClock } from "./support/manual-clock.ts";
import { keysMatching, startRedis, type TestRedis } from "./support/redis.ts";
import { tempDirs } from "./support/temp-dirs.ts";
import { waitFor } from "./support/wait.ts";
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

describe("over HTTP, a repeat after the job left Redis", () => {
  it("answers as a repeat while the job is there would, in a single or a bulk submit, whatever the key's characters and whatever the repeat's body", async () => {
    const api = await startApi(redis.url, {
      token: "t0ken-for-repeats",
      archiver: {
        archiveDir: join(tempDir(), "archive"),
        dataDir: tempDir(),
        segmentEntries: 1,
        maxAgeMs: 10,
        leaseMs: 60_000,
        pollMs: 20,
        retention: { completedMs: 86_400_000, deadLetterMs: 86_400_000, cancelledMs: 86_400_000 },
      },
    });
    const auth = { authorization: "Bearer t0ken-for-repeats", "content-type": "application/json" };
    const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
      api.app.inject({
        method: "POST",
        url,
        headers: { ...auth, ...headers },
        payload: JSON.stringify(payload),
      });
    try {
      const keys = ["order-1", "ключ-🔑-𝄞", "k".repeat(256), "a:b:*?[]\\{0}", " spaced "];
      const ids = new Map<string, string>();
      for (const key of keys) {
        const first = await post("/v1/jobs", { type: "echo", payload: { key }, idempotencyKey: key });
        expect(first.statusCode).toBe(202);
        ids.set(key, first.json().id as string);
      }
      const byHeader = await post("/v1/jobs", { type: "echo" }, { "idempotency-key": "by-header" });
      ids.set("by-header", byHeader.json().id as string);
      // A hot repeat with another body answers the first job, as the key's purpose is.
      const hot = await post("/v1/jobs", {
        type: "other",
        payload: { other: true },
        idempotencyKey: "order-1",
      });
      expect(hot.statusCode).toBe(202);
      expect(hot.headers["idempotent-replayed"]).toBe("true");
      expect(hot.json()).toMatchObject({ id: ids.get("order-1"), type: "echo" });

      await (
        await startWorker(api.engine, { echo: async (payload) => payload }, { burst: true })
      ).done;
      const purged = await post("/v1/jobs/purge", { status: "completed", olderThan: "0s" });
      expect(purged.json()).toEqual({ purged: ids.size });
      for (const id of ids.values())
        await waitFor(async () => (await api.engine.store.loadHead(id)) === null, `job ${id} to leave Redis`);

      for (const key of keys) {
        const again = await post("/v1/jobs", { type: "echo", payload: { key }, idempotencyKey: key });
        expect([key, again.statusCode, again.headers["idempotent-replayed"]]).toEqual([key, 202, "true"]);
        expect(again.json()).toMatchObject({ id: ids.get(key), status: "completed" });
      }
      const again = await post("/v1/jobs", { type: "echo" }, { "idempotency-key": "by-header" });
      expect(again.json()).toMatchObject({ id: ids.get("by-header"), status: "completed" });
      // A repeat with another body answers the archived job, as a hot one does.
      const other = await post("/v1/jobs", {
        type: "other",
        payload: { other: true },
        idempotencyKey: "order-1",
      });
      expect(other.statusCode).toBe(202);
      expect(other.headers["idempotent-replayed"]).toBe("true");
      expect(other.json()).toMatchObject({ id: ids.get("order-1"), type: "echo", status: "completed" });

      // In a bulk submit, the repeat is an item like any other (it was a 404 for the whole
      // request, the other items written all the same, when the repeat's status was read from
      // a head that had left Redis).
      const bulk = await post("/v1/jobs/bulk", {
        jobs: [
          { type: "echo", idempotencyKey: "order-1" },
          { type: "echo", idempotencyKey: "fresh-in-bulk" },
        ],
      });
      expect(bulk.statusCode).toBe(202);
      const [repeat, fresh] = bulk.json().jobs as ReadonlyArray<Record<string, unknown>>;
      expect(repeat).toEqual({ index: 0, id: ids.get("order-1"), status: "completed", created: false });
      expect(fresh).toMatchObject({ index: 1, status: "queued", created: true });
      expect(takeViolations()).toEqual([]);
    } finally {
      await api.stop();
    }
  });
});
