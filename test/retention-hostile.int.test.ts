/**
 * Retention and purges against a hostile order of jobs (ADR 0034, amended), on a real Redis:
 * whatever sits at the front of a retention index — jobs with their own long retainMs, dead
 * letters recorded as evicted and not yet archived, dead letters revived by a retry — the jobs
 * due behind it are still recorded, and a purge with a limit takes the next ones each time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_RETAIN_MS } from "../src/domain/limits.ts";
import type { RetentionPolicy } from "../src/engine/archive/index.ts";
import type { Clock } from "../src/engine/shared/index.ts";
import type { Handlers } from "../src/engine/worker/index.ts";
import { Keys } from "../src/infra/redis/keys.ts";
import { RedisRetentionIndex } from "../src/infra/redis/redis-archive.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { retentionOf } from "./support/retention.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

const SHARDS = 1;
const RETENTION: RetentionPolicy = { completedMs: 60_000, cancelledMs: 60_000, deadLetterMs: 60_000 };
const operator = { kind: "operator" as const, id: "alice" };

/** Fails its first attempt (not retryable), succeeds once retried by hand. */
const failedOnce = new Set<string>();
const handlers: Handlers = {
  echo: async (payload) => payload,
  broken: async () => {
    throw Object.assign(new Error("bad input"), { retryable: false });
  },
  flaky: async (_payload, ctx) => {
    if (failedOnce.has(ctx.jobId)) return "ok";
    failedOnce.add(ctx.jobId);
    throw Object.assign(new Error("first time"), { retryable: false });
  },
};

/** A deployment on a clock the test moves, with retention in small batches (`batch`). */
const deploy = async (batch: number) => {
  let offset = 0;
  const clock: Clock = { now: () => Date.now() + offset };
  const engine: TestEngine = await makeEngine(redis.url, { shards: SHARDS, clock });
  const retention = retentionOf(engine, { clock, policy: RETENTION, shards: SHARDS, batch });
  const submit = async (spec: Record<string, unknown>) => (await engine.jobs.submit(spec, apiActor)).jobId;
  const drain = async () =>
    (await startWorker(engine, handlers, { burst: true, concurrency: 1, clock, queues: ["default"] })).done;
  const lastType = async (id: string) => (await engine.jobs.events(id)).at(-1)?.type;
  return { engine, retention, clock, submit, drain, lastType, advance: (ms: number) => void (offset += ms) };
};

describe("retention against a hostile order of jobs", () => {
  it("completed jobs with their own long retainMs at the front of the index do not hide the jobs due behind them", async () => {
    const d = await deploy(2);
    // Two jobs keep themselves for the longest retention allowed, and end first.
    const kept = [await d.submit({ type: "echo", retainMs: MAX_RETAIN_MS })];
    kept.push(await d.submit({ type: "echo", retainMs: MAX_RETAIN_MS }));
    await d.drain();
    const plain = [];
    for (let i = 0; i < 3; i++) plain.push(await d.submit({ type: "echo" }));
    await d.drain();
    d.advance(RETENTION.completedMs + 10_000);

    expect(await d.retention.recordDue()).toBe(plain.length);
    for (const id of plain) expect(await d.lastType(id)).toBe("JobEvicted");
    for (const id of kept) expect(await d.lastType(id)).toBe("JobCompleted");
    // A purge still takes the jobs with their own retention, whatever it is.
    expect(
      await d.retention.purge({ status: "completed", olderThanMs: 1_000, actor: operator, limit: 10 }),
    ).toBe(kept.length);
    await d.engine.close();
  });

  it("dead letters recorded as evicted but not yet archived do not stop retention from recording the next ones", async () => {
    const d = await deploy(2);
    const dead = [];
    for (let i = 0; i < 5; i++) dead.push(await d.submit({ type: "broken", maxAttempts: 1 }));
    await d.drain();
    d.advance(RETENTION.deadLetterMs + 10_000);
    // No archiver runs: every JobEvicted stays unarchived, and the jobs stay dead letters in Redis.
    expect(await d.retention.recordDue()).toBe(dead.length);
    for (const id of dead) expect(await d.lastType(id)).toBe("JobEvicted");
    expect(await d.retention.recordDue()).toBe(0);
    await d.engine.close();
  });

  it("a purge of dead letters with a limit takes the next ones each time, while the earlier ones wait for the archive", async () => {
    const d = await deploy(1_000);
    const dead = [];
    for (let i = 0; i < 5; i++) dead.push(await d.submit({ type: "broken", maxAttempts: 1 }));
    await d.drain();
    d.advance(5_000);
    const purge = () =>
      d.retention.purge({ status: "dead_letter", olderThanMs: 1_000, actor: operator, limit: 2 });
    expect([await purge(), await purge(), await purge(), await purge()]).toEqual([2, 2, 1, 0]);
    for (const id of dead) expect(await d.lastType(id)).toBe("JobEvicted");
    // Still in Redis until the archive holds their eviction, but no longer listed as dead letters
    // to retry: a retry would be refused (job_evicted).
    for (const id of dead) expect(await d.engine.store.loadHead(id)).not.toBeNull();
    expect(await d.engine.jobs.deadLetterViews(10)).toEqual([]);
    await d.engine.close();
  });

  it("concurrent purges of the same jobs record each eviction once, and their counts add up", async () => {
    const d = await deploy(3);
    const ids = [];
    for (let i = 0; i < 10; i++) ids.push(await d.submit({ type: "echo" }));
    await d.drain();
    // Past the retention too: the archiver's pass competes with the operators' purges.
    d.advance(RETENTION.completedMs + 10_000);
    const purge = () =>
      d.retention.purge({ status: "completed", olderThanMs: 1_000, actor: operator, limit: 10 });
    const counts = await Promise.all([purge(), purge(), purge(), d.retention.recordDue()]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(ids.length);
    for (const id of ids)
      expect((await d.engine.jobs.events(id)).filter((e) => e.type === "JobEvicted")).toHaveLength(1);
    await d.engine.close();
  });

  it("a dead letter retried by hand leaves the dead letters' retention, and follows the completed jobs' once it completes", async () => {
    const d = await deploy(1_000);
    const id = await d.submit({ type: "flaky", maxAttempts: 1 });
    await d.drain();
    expect((await d.engine.jobs.view(id)).status).toBe("dead_letter");
    const keys = new Keys(d.engine.prefix, SHARDS);
    expect(await d.engine.client.zscore(keys.ended(0, "dead_letter"), id)).not.toBeNull();
    await d.engine.jobs.retry(id, operator, "fixed", 1);
    expect(await d.engine.client.zscore(keys.ended(0, "dead_letter"), id)).toBeNull();
    await d.drain();
    expect((await d.engine.jobs.view(id)).status).toBe("completed");
    d.advance(RETENTION.completedMs + 10_000);
    expect(await d.retention.recordDue()).toBe(1);
    const evicted = (await d.engine.jobs.events(id)).at(-1);
    expect(evicted).toMatchObject({ type: "JobEvicted", data: { olderThanMs: RETENTION.completedMs } });
    await d.engine.close();
  });

  it("forgetting a refused eviction takes a job off only the indexes its head disagrees with: a dead letter retried and completed meanwhile is still evicted in its turn", async () => {
    const d = await deploy(1_000);
    const keys = new Keys(d.engine.prefix, SHARDS);
    const index = new RedisRetentionIndex(d.engine.client, { prefix: d.engine.prefix, shards: SHARDS });
    const id = await d.submit({ type: "flaky", maxAttempts: 1 });
    const own = await d.submit({ type: "flaky", maxAttempts: 1, retainMs: 5_000 });
    await d.drain();
    // Retention read them as dead letters; before it could forget them (its eviction refused,
    // the jobs retried by hand meanwhile), they were retried and completed.
    for (const job of [id, own]) await d.engine.jobs.retry(job, operator, "fixed", 1);
    await d.drain();
    await index.forget(0, [id, own]);
    expect(await d.engine.client.zscore(keys.ended(0, "completed"), id)).not.toBeNull();
    expect(await d.engine.client.zscore(keys.endedOwn(0, "completed"), own)).not.toBeNull();
    expect(await d.engine.client.zscore(keys.expires(0), own)).not.toBeNull();
    d.advance(RETENTION.completedMs + 10_000);
    expect(await d.retention.recordDue()).toBe(2);

    // A job that is gone, or not finished, leaves every index it was left in.
    const gone = "01a23200-0000-7000-8000-000000000000";
    const queued = await d.submit({ type: "echo", queue: "idle" });
    for (const job of [gone, queued]) {
      await d.engine.client.zadd(keys.ended(0, "completed"), 1, job);
      await d.engine.client.zadd(keys.endedOwn(0, "dead_letter"), 1, job);
      await d.engine.client.zadd(keys.expires(0), 1, job);
    }
    await index.forget(0, [gone, queued]);
    for (const key of [keys.ended(0, "completed"), keys.endedOwn(0, "dead_letter"), keys.expires(0)])
      for (const job of [gone, queued]) expect(await d.engine.client.zscore(key, job)).toBeNull();
    await d.engine.close();
  });
});
