/** The projector against a real engine, a real Redis and a real SQLite file. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../src/engine/shared/index.ts";
import { Projector } from "../src/engine/read/index.ts";
import { connectBlocking, whenReady } from "../src/infra/redis/connection.ts";
import { SqliteProjection } from "../src/infra/sqlite/sqlite-projection.ts";
import { composeReadSide } from "../src/main.ts";
import { makeEngine, type TestEngine } from "./support/engine.ts";
import { checkInvariants } from "./support/invariants.ts";
import { eventLogOf, expectProjectionEqualsFold, runMixedJobs, tempDbPath } from "./support/projection.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

let redis: TestRedis;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await redis.stop();
});

const engine = async (shards = 2, url = redis.url): Promise<TestEngine> => {
  const e = await makeEngine(url, { shards });
  cleanups.push(() => e.close());
  return e;
};

const caughtUp = async (projector: { lag: Projector["lag"] }) =>
  (await projector.lag()).every((shard) => shard.caughtUp);

describe("projector", () => {
  it("projects a run of mixed jobs into rows equal to the fold of the log (invariant 8)", async () => {
    const e = await engine();
    const { log, close } = await eventLogOf(redis.url, e);
    cleanups.push(close);
    const store = SqliteProjection.open(tempDbPath());
    cleanups.push(() => store.close());
    const projector = new Projector({ log, store, clock: systemClock, batchSize: 16 });
    const applied: Array<string> = [];
    projector.onApplied((entries) =>
      applied.push(...entries.map((entry) => `${entry.shard}/${entry.entryId}`)),
    );
    projector.start();
    const ids = await runMixedJobs(e);
    expect(await checkInvariants(e, ids, { drained: true })).toEqual([]);
    await waitFor(() => caughtUp(projector), "the projector to catch up");
    await projector.stop();
    await expectProjectionEqualsFold(e, store, ids);
    expect(new Set(applied).size).toBe(applied.length);
    const metrics = store.metrics({ nowMs: Date.now(), minutes: 5 });
    const statuses = await Promise.all(ids.map(async (id) => store.job(id)?.status));
    expect(metrics.byStatus.completed).toBe(statuses.filter((s) => s === "completed").length);
    expect(metrics.byStatus.cancelled).toBeGreaterThan(0);
    expect(metrics.byStatus.dead_letter).toBeGreaterThan(0);
    expect(metrics.throughput.reduce((sum, m) => sum + m.completed, 0)).toBe(metrics.byStatus.completed);
    expect(metrics.durations.map((d) => d.type).sort()).toEqual(["flaky", "ok"]);
    expect(projector.status()).toMatchObject({ state: "stopped", lastError: null });
  });

  it("never commits a dead letter's failure without the JobDeadLettered appended with it, whatever the read size", async () => {
    const e = await engine(1);
    const { log, close } = await eventLogOf(redis.url, e);
    cleanups.push(close);
    const store = SqliteProjection.open(tempDbPath());
    cleanups.push(() => store.close());
    // One entry per read: every read ends between the two events of a dead letter's append.
    const projector = new Projector({ log, store, clock: systemClock, batchSize: 1 });
    const seen: Array<string> = [];
    const limbo: Array<string> = [];
    projector.onApplied((entries) => {
      for (const { envelope } of entries) {
        const row = store.job(envelope.jobId);
        seen.push(`${envelope.type}:${row?.status}`);
        // A failed job with no retry scheduled is a state no append leaves behind. (Recorded,
        // not asserted here: the projector reports a listener's throw instead of raising it.)
        if (row?.status === "failed" && row.runAt === null)
          limbo.push(`${envelope.jobId} after ${envelope.type}`);
      }
    });
    const { startWorker } = await import("./support/workers.ts");
    const { NonRetryableError } = await import("../src/engine/worker/index.ts");
    const { worker } = await startWorker(e, {
      fatal: () => {
        throw new NonRetryableError("never works");
      },
    });
    const { apiActor } = await import("./support/engine.ts");
    const ids = await Promise.all(
      Array.from({ length: 3 }, async () => (await e.jobs.submit({ type: "fatal" }, apiActor)).jobId),
    );
    await waitFor(
      async () =>
        (await Promise.all(ids.map((id) => e.jobs.get(id)))).every((h) => h.state.value === "dead_letter"),
      "the jobs to be dead-lettered",
    );
    await worker.stop(100);
    projector.start();
    await waitFor(
      () => ids.every((id) => store.job(id)?.status === "dead_letter"),
      "the dead letters projected",
    );
    await projector.stop();
    expect(seen.filter((s) => s.startsWith("JobDeadLettered:"))).toHaveLength(3);
    expect(limbo).toEqual([]);
  });

  it("halts instead of folding a lost or replaced log onto an old projection; a projection rebuilt from the new log takes it", async () => {
    const e = await engine(1);
    const actor = { kind: "client", id: "t" } as const;
    for (let i = 0; i < 3; i++) await e.jobs.submit({ type: "t", payload: i }, actor);
    const { log, close } = await eventLogOf(redis.url, e);
    cleanups.push(close);
    const path = tempDbPath();
    const store = SqliteProjection.open(path);
    cleanups.push(() => store.close());
    expect(await new Projector({ log, store, clock: systemClock }).catchUp()).toBe(3);
    // Unchanged log: a restarted projector carries on from its checkpoint.
    await e.jobs.submit({ type: "t", payload: 3 }, actor);
    expect(await new Projector({ log, store, clock: systemClock }).catchUp()).toBe(1);
    // Redis loses its data, and new jobs arrive in a fresh log.
    await e.client.del(e.store.keys.log(0));
    const fresh = await e.jobs.submit({ type: "t", payload: "after" }, actor);
    const projector = new Projector({ log, store, clock: systemClock });
    await expect(projector.catchUp()).rejects.toMatchObject({ _tag: "ProjectionLogMismatch", shard: 0 });
    projector.start();
    await waitFor(async () => projector.status().state === "halted", "the projector to halt");
    expect(projector.status().lastError?.tag).toBe("ProjectionLogMismatch");
    await projector.stop();
    expect(store.job(fresh.jobId)).toBeNull();
    expect(store.listJobs({ limit: 10 }).jobs).toHaveLength(4);
    // The remedy: a projection rebuilt from the log as it is now.
    const rebuilt = SqliteProjection.open(tempDbPath());
    cleanups.push(() => rebuilt.close());
    expect(await new Projector({ log, store: rebuilt, clock: systemClock }).catchUp()).toBe(1);
    expect(rebuilt.job(fresh.jobId)?.status).toBe("queued");
  });

  it("a running projector halts when the log is lost while its connection stays up, before folding the new log's entries", async () => {
    const e = await engine(1);
    const actor = { kind: "client", id: "t" } as const;
    const before = await e.jobs.submit({ type: "t", payload: "before" }, actor);
    const { log, close } = await eventLogOf(redis.url, e);
    cleanups.push(close);
    const store = SqliteProjection.open(tempDbPath());
    cleanups.push(() => store.close());
    const projector = new Projector({ log, store, clock: systemClock, blockMs: 50 });
    projector.start();
    await waitFor(async () => store.job(before.jobId) !== null, "the first job to be projected");
    await waitFor(async () => projector.status().state === "tailing", "the projector to tail");
    const connections = log.connections();
    // Lost while connected: no reconnection tells the projector anything happened.
    await e.client.del(e.store.keys.log(0));
    const after = await e.jobs.submit({ type: "t", payload: "after" }, actor);
    await waitFor(async () => projector.status().state === "halted", "the projector to halt");
    expect(log.connections()).toBe(connections);
    expect(projector.status().lastError?.tag).toBe("ProjectionLogMismatch");
    expect(store.job(after.jobId)).toBeNull();
    expect(store.job(before.jobId)?.status).toBe("queued");
    await projector.stop();
  });

  it("pages newest first with a cursor, filtered by status, type and queue", async () => {
    const e = await engine(1);
    for (let i = 0; i < 7; i++)
      await e.jobs.submit({ type: i % 2 === 0 ? "even" : "odd", payload: i }, { kind: "client", id: "t" });
    const { log, close } = await eventLogOf(redis.url, e);
    cleanups.push(close);
    const store = SqliteProjection.open(tempDbPath());
    cleanups.push(() => store.close());
    await new Projector({ log, store, clock: systemClock }).catchUp();
    const first = store.listJobs({ limit: 3 });
    expect(first.jobs).toHaveLength(3);
    const second = store.listJobs({ limit: 3, ...(first.nextCursor ? { cursor: first.nextCursor } : {}) });
    const third = store.listJobs({ limit: 3, ...(second.nextCursor ? { cursor: second.nextCursor } : {}) });
    expect(third.nextCursor).toBeUndefined();
    const ids = [...first.jobs, ...second.jobs, ...third.jobs].map((job) => job.id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(ids).toHaveLength(7);
    expect(store.listJobs({ limit: 10, type: "even" }).jobs).toHaveLength(4);
    expect(store.listJobs({ limit: 10, status: "queued", queue: "default" }).jobs).toHaveLength(7);
    expect(store.listJobs({ limit: 10, queue: "elsewhere" }).jobs).toHaveLength(0);
    expect(() => store.listJobs({ limit: 10, cursor: "not a cursor!" })).toThrow(/cursor/);
  });
});

describe("rebuild and check", () => {
  it("a rebuild equals the live projection row for row; check finds a planted difference and none otherwise", async () => {
    const e = await engine();
    const dbPath = tempDbPath();
    const blockingClient = await whenReady(connectBlocking({ url: redis.url }));
    cleanups.push(() => blockingClient.disconnect());
    const readSide = composeReadSide({
      client: e.client,
      blockingClient,
      prefix: e.prefix,
      shards: e.store.keys.shards,
      dbPath,
      clock: systemClock,
    });
    cleanups.push(() => readSide.close());
    readSide.projector.start();
    const ids = await runMixedJobs(e, 24);
    await waitFor(() => caughtUp(readSide.projector), "the projector to catch up");

    const clean = await readSide.check();
    expect(clean.differences).toEqual([]);
    expect(clean.equal).toBe(true);

    // Plant a difference in the live file through a second handle on the same process' store.
    const planted = ids[0] as string;
    const live = (readSide as unknown as { store: SqliteProjection }).store;
    live.unsafeExec(`UPDATE jobs SET attempts = attempts + 7 WHERE id = '${planted}'`);
    const dirty = await readSide.check();
    expect(dirty.equal).toBe(false);
    expect(dirty.differences).toHaveLength(1);
    expect(dirty.differences[0]).toMatchObject({ table: "jobs", key: { id: planted } });
    expect(
      Number(dirty.differences[0]?.live?.["attempts"]) - Number(dirty.differences[0]?.rebuilt?.["attempts"]),
    ).toBe(7);

    // Rebuild swaps in a fresh file: the planted difference is gone, and it equals the fold.
    const rebuilt = await readSide.rebuild();
    expect(rebuilt.events).toBeGreaterThan(0);
    expect((await readSide.check()).differences).toEqual([]);
    await waitFor(() => caughtUp(readSide.projector), "the projector to catch up after the swap");
    await readSide.projector.stop();
    await expectProjectionEqualsFold(e, (readSide as unknown as { store: SqliteProjection }).store, ids);
  });
});

describe("outages", () => {
  it("survives a Redis restart, reports the error, and catches up afterwards", async () => {
    // A server of its own (AOF on) even when REDIS_URL is given: this test kills it.
    const own = await startRedis({ appendOnly: true, own: true });
    cleanups.push(() => own.stop());
    const e = await engine(2, own.url);
    const { log, close } = await eventLogOf(own.url, e);
    cleanups.push(close);
    const store = SqliteProjection.open(tempDbPath());
    cleanups.push(() => store.close());
    const projector = new Projector({ log, store, clock: systemClock, retryMaxMs: 200 });
    projector.start();
    const before = await runMixedJobs(e, 12);
    await waitFor(() => caughtUp(projector), "catch up before the outage");
    own.kill();
    await waitFor(() => projector.status().state === "retrying", "the projector to notice the outage");
    expect(projector.status().lastError?.tag).toBe("QueueUnavailable");
    await own.restart();
    await waitFor(() => e.client.status === "ready", "the engine to reconnect");
    const after = await runMixedJobs(e, 12);
    await waitFor(async () => {
      try {
        return await caughtUp(projector);
      } catch {
        return false;
      }
    }, "the projector to recover and catch up");
    expect(["tailing", "catching_up"]).toContain(projector.status().state);
    await projector.stop();
    await expectProjectionEqualsFold(e, store, [...before, ...after]);
  });
});
