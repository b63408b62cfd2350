/**
 * Redis as the hot tier of the history (ADR 0034), on a real Redis and a real archive directory:
 * once the archiver has committed a segment it trims the shard log, and every reader — a job's
 * view and events, the auditor, a projection rebuilt from scratch — reads what was trimmed from
 * the archive and answers exactly as before. Finished jobs past their retention (or purged) are
 * recorded as evicted (JobEvicted), leave Redis once that is archived — head, index,
 * idempotency key — and still read the same from the archive, eviction included.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../src/domain/index.ts";
import type { Archiver, RetentionPolicy } from "../src/engine/archive/index.ts";
import { type Clock, CommandRefused } from "../src/engine/shared/index.ts";
import type { Handlers } from "../src/engine/worker/index.ts";
import { SEGMENT_FILE } from "../src/infra/archive/fs-archive-store.ts";
import { Keys } from "../src/infra/redis/keys.ts";
import { TieredLog } from "../src/infra/redis/tiered-log.ts";
import {
  type ArchiveAccess,
  archivedLogOf,
  composeArchiver,
  composeAudit,
  composeRetention,
  openReadSide,
  openWorker,
} from "../src/main.ts";
import { newJobId } from "../src/engine/write/index.ts";
import { type BundleHeader, verifyBundle } from "../src/engine/audit/index.ts";
import { startApi } from "./support/api.ts";
import { collectLines } from "./support/audit.ts";
import { takeViolations } from "./support/contract.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { tempDbPath } from "./support/projection.ts";
import { keysMatching, startRedis, type TestRedis } from "./support/redis.ts";
import { tempDirs } from "./support/temp-dirs.ts";
import { renderReplay } from "../src/cli/render/replay.ts";
import type { ReplayReport } from "../src/contract/index.ts";
import { retentionOf } from "./support/retention.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
const tempDir = tempDirs("docket-tiered-");

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

const SHARDS = 2;
const RETENTION: RetentionPolicy = { completedMs: 60_000, cancelledMs: 30_000, deadLetterMs: 120_000 };

/** A clock that runs with real time plus an offset the test moves forward. */
const offsetClock = () => {
  let offset = 0;
  const clock: Clock = { now: () => Date.now() + offset };
  return { clock, advance: (ms: number) => void (offset += ms) };
};

const handlers: Handlers = {
  echo: async (payload) => payload,
  broken: async () => {
    throw Object.assign(new Error("bad input"), { retryable: false });
  },
};

interface Deployment {
  readonly engine: TestEngine;
  readonly access: ArchiveAccess;
  readonly advance: (ms: number) => void;
  readonly clock: Clock;
  archiver(retention?: RetentionPolicy): Archiver;
}

const deploy = async (): Promise<Deployment> => {
  const access: ArchiveAccess = { archiveDir: join(tempDir(), "archive"), dataDir: tempDir() };
  const { clock, advance } = offsetClock();
  const prefix = `tiered-${Math.random().toString(36).slice(2, 10)}`;
  const engine = await makeEngine(redis.url, {
    prefix,
    shards: SHARDS,
    clock,
    archive: archivedLogOf(access, prefix),
  });
  return {
    engine,
    access,
    advance,
    clock,
    archiver: (retention) =>
      composeArchiver(
        { client: engine.client, prefix, shards: SHARDS, clock },
        {
          ...access,
          segmentEntries: 7,
          maxAgeMs: 1_000,
          leaseMs: 60_000,
          pollMs: 20,
          ...(retention === undefined ? {} : { retention }),
        },
      ),
  };
};

/** The auditor's tools on the deployment, reading the archive for what left Redis. */
const auditOf = ({ engine, access }: Deployment) =>
  composeAudit({
    client: engine.client,
    prefix: engine.prefix,
    shards: SHARDS,
    archive: archivedLogOf(access, engine.prefix),
  });

/** Run every queued job to its end with a worker on the deployment's clock. */
const drain = async ({ engine, clock }: Deployment): Promise<void> => {
  const { done } = await startWorker(engine, handlers, {
    burst: true,
    concurrency: 4,
    clock,
    queues: ["default"],
  });
  await done;
};

const logLengths = async ({ engine }: Deployment): Promise<number> => {
  const keys = new Keys(engine.prefix, SHARDS);
  let total = 0;
  for (const shard of keys.allShards()) total += await engine.client.xlen(keys.log(shard));
  return total;
};

/** Every key of the deployment (SCAN, no KEYS). */
/** Every key of the deployment (each master of a cluster asked: SCAN sees one node's keys). */
const keysOf = async ({ engine }: Deployment): Promise<Array<string>> =>
  (await keysMatching(engine.client, `${engine.prefix}:*`)).sort();

/** Submit a mix: completed, dead-lettered, cancelled, one with its own retention, one with a key. */
const submitMix = async ({ engine }: Deployment) => {
  const submit = async (spec: Record<string, unknown>) => (await engine.jobs.submit(spec, apiActor)).jobId;
  const completed = [];
  for (let i = 0; i < 6; i++) completed.push(await submit({ type: "echo", payload: { i } }));
  const dead = [
    await submit({ type: "broken", maxAttempts: 1 }),
    await submit({ type: "broken", maxAttempts: 1 }),
  ];
  const cancelled = await submit({ type: "echo", delayMs: 3_600_000 });
  await engine.jobs.cancel(cancelled, apiActor, "not needed");
  const own = await submit({ type: "echo", retainMs: 0 });
  const keyed = await submit({ type: "echo", idempotencyKey: "order-42" });
  return { completed, dead, cancelled, own, keyed, all: [...completed, ...dead, cancelled, own, keyed] };
};

const snapshot = async (engine: TestEngine, ids: ReadonlyArray<string>) =>
  new Map(
    await Promise.all(
      ids.map(
        async (id) =>
          [id, { view: await engine.jobs.view(id), events: await engine.jobs.events(id) }] as const,
      ),
    ),
  );

describe("tiered history", () => {
  it("trims what is archived, and every reader answers exactly as before from the archive", async () => {
    const d = await deploy();
    const jobs = await submitMix(d);
    await drain(d);
    const before = await snapshot(d.engine, jobs.all);
    const entries = [...before.values()].reduce((n, { events }) => n + events.length, 0);
    expect(await logLengths(d)).toBe(entries);

    // Everything is older than the max age: every shard seals, and the logs are trimmed.
    d.advance(10_000);
    const archiver = d.archiver();
    await archiver.runOnce();
    expect(archiver.status().trimmedEntries).toBe(entries);
    expect(await logLengths(d)).toBe(0);

    // A job's view and events, through the one event store, read the archive.
    expect(await snapshot(d.engine, jobs.all)).toEqual(before);

    // The auditor: the whole log verifies across tiers, and one job's explanation is the same.
    const audit = auditOf(d);
    const report = await audit.verify({});
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect((await audit.explain(jobs.dead[0] as string))?.status).toBe("dead_letter");

    // A projection built from nothing reads the archive, then the hot tail, and equals the views.
    await d.engine.jobs.submit({ type: "echo", payload: "hot" }, apiActor); // the hot tail
    const side = openReadSide({
      redisUrl: redis.url,
      prefix: d.engine.prefix,
      shards: SHARDS,
      leaseMs: 2_000,
      dbPath: tempDbPath(),
      archive: d.access,
    });
    try {
      await side.ready();
      side.projector.start();
      await waitFor(
        () => side.reads.listJobs({ limit: 500 }).jobs.length === jobs.all.length + 1,
        "the projector",
      );
      for (const [id, { view }] of before) expect(side.reads.job(id)).toEqual(view);
      // Rebuilt from the archive and the hot tail, row for row the same as the live one.
      expect((await side.check()).differences).toEqual([]);
    } finally {
      await side.close();
    }
    await archiver.stop();
    await d.engine.close();
  });

  it("jobs evicted and trimmed while a projection is rebuilt and checked: the rebuild still equals the live projection", async () => {
    const d = await deploy();
    const mixes = [];
    for (let i = 0; i < 4; i++) mixes.push(await submitMix(d));
    await drain(d);
    const all = mixes.flatMap((m) => m.all);
    const side = openReadSide({
      redisUrl: redis.url,
      prefix: d.engine.prefix,
      shards: SHARDS,
      leaseMs: 2_000,
      dbPath: tempDbPath(),
      archive: d.access,
    });
    const archiver = d.archiver(RETENTION);
    try {
      await side.ready();
      side.projector.start();
      d.advance(RETENTION.deadLetterMs + 10_000);
      // Seal, trim, record every eviction and let the jobs go, while checks rebuild from scratch.
      const passes = (async () => {
        for (let i = 0; i < 4; i++) {
          await archiver.runOnce();
          d.advance(2_000);
        }
      })();
      const [during] = await Promise.all([side.check(), passes]);
      for (const id of all) expect(await d.engine.store.loadHead(id)).toBeNull();
      await waitFor(
        () => all.every((id) => side.reads.job(id)?.evictedAt !== null && side.reads.job(id) !== null),
        "the projector to record every eviction",
      );
      for (const id of all) expect(side.reads.job(id)).toEqual(await d.engine.jobs.view(id));
      expect((await side.check()).differences).toEqual([]);
      // The check that ran under the passes rebuilt across what they trimmed, and found it equal.
      expect(during.differences).toEqual([]);
      expect(during.equal).toBe(true);
    } finally {
      await archiver.stop();
      await side.close();
      await d.engine.close();
    }
  });

  it("a projector caught up to the log keeps tailing when the archiver trims exactly up to where it stands", async () => {
    const d = await deploy();
    const side = openReadSide({
      redisUrl: redis.url,
      prefix: d.engine.prefix,
      shards: SHARDS,
      leaseMs: 2_000,
      dbPath: tempDbPath(),
      archive: d.access,
      projector: { blockMs: 50, retryInitialMs: 50, retryMaxMs: 500 },
    });
    try {
      await side.ready();
      side.projector.start();
      const jobs = await submitMix(d);
      await drain(d);
      await waitFor(
        () =>
          side.reads.listJobs({ limit: 500 }).jobs.every((job) => job.endedAt !== null) &&
          side.reads.listJobs({ limit: 500 }).jobs.length === jobs.all.length,
        "the projector to catch up",
      );
      // The archiver seals and trims everything: the projector's positions are trimmed too.
      d.advance(10_000);
      const archiver = d.archiver();
      await archiver.runOnce();
      expect(await logLengths(d)).toBe(0);
      const more = await d.engine.jobs.submit({ type: "echo", payload: "after the trim" }, apiActor);
      await drain(d);
      await waitFor(() => side.reads.job(more.jobId)?.status === "completed", "the projector to go on");
      expect(side.projector.status().state).not.toBe("halted");
      expect((await side.check()).differences).toEqual([]);
      await archiver.stop();
    } finally {
      await side.close();
      await d.engine.close();
    }
  });

  it("finished jobs past their retention are recorded as evicted, leave Redis once archived, and read the same from the archive", async () => {
    const d = await deploy();
    const jobs = await submitMix(d);
    await drain(d);
    // The view says which jobs follow a retention of their own (here 0 ms), and which the deployment's.
    expect((await d.engine.jobs.view(jobs.own)).retainMs).toBe(0);
    expect((await d.engine.jobs.view(jobs.keyed)).retainMs).toBeNull();
    const before = await snapshot(d.engine, jobs.all);

    // Not yet: only the job with retainMs 0 is due; the others wait for their retention.
    d.advance(10_000);
    const archiver = d.archiver(RETENTION);
    await archiver.runOnce(); // seals and trims; records the evictions due
    expect(archiver.status().evictionsRecorded).toBe(1);
    await archiver.runOnce(); // seals the JobEvicted, which lets the job go
    expect(archiver.status().evicted).toBe(1);
    expect(await d.engine.store.loadHead(jobs.own)).toBeNull();

    // Past every retention (cancelled 30 s, completed 60 s, dead letters 120 s).
    d.advance(RETENTION.deadLetterMs);
    await archiver.runOnce();
    await archiver.runOnce();
    expect(archiver.status().evictionsRecorded).toBe(jobs.all.length);
    expect(archiver.status().evicted).toBe(jobs.all.length);

    // Nothing of the jobs is left in Redis: no head, no index, no index entry. The idempotency key
    // answers a day more (DOCKET_RETAIN_IDEMPOTENCY_KEYS), then expires by itself.
    const left = await keysOf(d);
    expect(left.filter((key) => /:(job|history):/.test(key))).toEqual([]);
    const idem = left.filter((key) => /:idem:/.test(key));
    expect(idem).toHaveLength(1);
    for (const key of idem) expect(await d.engine.client.pttl(key)).toBeGreaterThan(0);
    for (const shard of [0, 1]) {
      const keys = new Keys(d.engine.prefix, SHARDS);
      for (const key of [keys.dead(shard), keys.expires(shard), keys.evicting(shard)])
        expect(await d.engine.client.zcard(key)).toBe(0);
      for (const status of ["completed", "cancelled"] as const)
        expect(await d.engine.client.zcard(keys.ended(shard, status))).toBe(0);
    }

    // Each reads from the archive as before, with its eviction recorded as its last event.
    for (const [id, { view, events }] of before) {
      const after = await d.engine.jobs.events(id);
      expect(after.slice(0, -1)).toEqual(events);
      const evicted = after.at(-1) as Envelope;
      expect(evicted).toMatchObject({ type: "JobEvicted", actor: { kind: "system", id: "retention" } });
      expect(evicted.data).toMatchObject({ reason: "retention" });
      expect(await d.engine.jobs.view(id)).toEqual({
        ...view,
        version: evicted.seq,
        lastHash: evicted.hash,
        updatedAt: evicted.at,
        evictedAt: evicted.at,
      });
      expect(await d.engine.jobs.tierOf(id)).toBe("archive");
    }
    // The retention applied is named: the deployment's for its end state, or the job's own.
    const ruleOf = async (id: string) =>
      ((await d.engine.jobs.events(id)).at(-1)?.data as { olderThanMs: number }).olderThanMs;
    expect(await ruleOf(jobs.completed[0] as string)).toBe(RETENTION.completedMs);
    expect(await ruleOf(jobs.dead[0] as string)).toBe(RETENTION.deadLetterMs);
    expect(await ruleOf(jobs.cancelled)).toBe(RETENTION.cancelledMs);
    expect(await ruleOf(jobs.own)).toBe(0);

    // The idempotency key still answers with its job, now in the archive; once it has expired,
    // the same key makes a new job.
    const repeat = await d.engine.jobs.submit({ type: "echo", idempotencyKey: "order-42" }, apiActor);
    expect(repeat).toMatchObject({ jobId: jobs.keyed, created: false });
    for (const key of idem) await d.engine.client.del(key);
    const again = await d.engine.jobs.submit({ type: "echo", idempotencyKey: "order-42" }, apiActor);
    expect(again.jobId).not.toBe(jobs.keyed);

    // A command for a job that has left Redis is refused as one for any ended job, saying why
    // (not "no job with id"); a repeat of what was done is answered as done, as while the job
    // was in Redis; an id that never was is still not found.
    await expect(d.engine.jobs.cancel(jobs.completed[0] as string, apiActor)).rejects.toMatchObject({
      _tag: "CommandRefused",
      code: "job_evicted",
      status: "completed",
    });
    await expect(d.engine.jobs.cancel(jobs.cancelled, apiActor)).resolves.toMatchObject({
      jobId: jobs.cancelled,
      state: { value: "cancelled" },
    });
    await expect(d.engine.jobs.retry(jobs.dead[0] as string, apiActor, "again")).rejects.toMatchObject({
      code: "job_evicted",
      status: "dead_letter",
    });
    await expect(d.engine.jobs.signal(jobs.keyed, apiActor, "go")).rejects.toMatchObject({
      code: "job_evicted",
      status: "completed",
    });
    await expect(d.engine.jobs.cancel(newJobId(), apiActor)).rejects.toMatchObject({ _tag: "JobNotFound" });

    // The auditor still verifies the whole log, evicted jobs included; a replay says where the
    // history came from.
    const audit = auditOf(d);
    const replayed = await audit.replay(jobs.completed[0] as string);
    expect(replayed).toMatchObject({ ok: true, anchor: null });
    expect(renderReplay(replayed as ReplayReport)).toContain(
      "chain verified; the job has left Redis: read from the archive",
    );
    const report = await audit.verify({});
    expect(report.failures).toEqual([]);
    // A whole export holds them too (they have no key left in Redis to be found by): every job,
    // the evicted ones whole, with their JobEvicted, and it verifies offline.
    const bundle = await collectLines(audit.exportBundle({ generatedAtMs: Date.now() }));
    const exported = (JSON.parse(bundle[0] as string) as BundleHeader).jobs;
    expect(exported.map((job) => job.jobId)).toEqual([...jobs.all, again.jobId].sort());
    for (const id of jobs.all)
      expect(exported.find((job) => job.jobId === id)?.events).toBe((await d.engine.jobs.events(id)).length);
    const offline = await verifyBundle(bundle);
    expect(offline.failures).toEqual([]);
    await archiver.stop();
    await d.engine.close();
  });

  it("a command for a job recorded as evicted is refused as job_evicted, before it leaves Redis as after, and a repeat of what was done is answered as done", async () => {
    const d = await deploy();
    const operator = { kind: "operator" as const, id: "alice" };
    const dead = (await d.engine.jobs.submit({ type: "broken", maxAttempts: 1 }, apiActor)).jobId;
    const cancelled = (
      await d.engine.jobs.submit(
        { type: "echo", runAt: new Date(d.clock.now() + 3_600_000).toISOString() },
        apiActor,
      )
    ).jobId;
    await d.engine.jobs.cancel(cancelled, apiActor, "not needed");
    await drain(d);
    d.advance(RETENTION.deadLetterMs + 10_000);
    const commands = {
      retry: (id: string) => d.engine.jobs.retry(id, operator, "too late"),
      cancel: (id: string) => d.engine.jobs.cancel(id, operator, "too late"),
      signal: (id: string) => d.engine.jobs.signal(id, operator, "go"),
    };
    const refusals = async () => {
      const out: Array<unknown> = [];
      for (const [verb, command] of Object.entries(commands)) {
        const error = await command(dead).catch((e: unknown) => e);
        out.push([
          verb,
          error instanceof CommandRefused ? { code: error.code, status: error.status } : error,
        ]);
      }
      return out;
    };
    const expected = Object.keys(commands).map((verb) => [
      verb,
      { code: "job_evicted", status: "dead_letter" },
    ]);
    // Recorded, not yet archived: still in Redis (it was illegal_transition here, as if the dead
    // letter could not be retried for some other reason, and job_evicted only once it had left).
    const retention = retentionOf(d.engine, {
      clock: d.clock,
      policy: RETENTION,
      shards: SHARDS,
      batch: 100,
    });
    expect((await d.engine.jobs.deadLetterViews()).map((view) => view.id)).toEqual([dead]);
    expect(await retention.recordDue()).toBe(2);
    expect(await d.engine.store.loadHead(dead)).not.toBeNull();
    expect(await refusals()).toEqual(expected);
    // Nor is it listed as a dead letter to retry any more.
    expect(await d.engine.jobs.deadLetterViews()).toEqual([]);
    // A repeat of what was done is still answered without events.
    await expect(d.engine.jobs.cancel(cancelled, operator)).resolves.toMatchObject({ jobId: cancelled });

    const archiver = d.archiver(RETENTION);
    await archiver.runOnce();
    await archiver.runOnce();
    await archiver.stop();
    expect(await d.engine.store.loadHead(dead)).toBeNull();
    expect(await refusals()).toEqual(expected);
    expect((await d.engine.jobs.events(dead)).filter((e) => e.type === "JobEvicted")).toHaveLength(1);
    // And once it has left, as while it was there (it was job_evicted): a client retrying a
    // cancel whose answer it lost hears that it is done, and nothing is appended.
    expect(await d.engine.store.loadHead(cancelled)).toBeNull();
    const history = await d.engine.jobs.events(cancelled);
    const again = await d.engine.jobs.cancel(cancelled, operator, "again");
    expect(again).toMatchObject({ jobId: cancelled, version: history.length, state: { value: "cancelled" } });
    expect(await d.engine.jobs.events(cancelled)).toEqual(history);
    await d.engine.close();
  });

  it("an evicted job is looked for in the archive only up to the time its id names (plus the clock skew), and a real one is still read whole", async () => {
    const d = await deploy();
    const jobs = await submitMix(d);
    await drain(d);
    const before = await snapshot(d.engine, jobs.all);
    d.advance(RETENTION.deadLetterMs + 10_000);
    const archiver = d.archiver(RETENTION);
    await archiver.runOnce();
    await archiver.runOnce();
    expect(archiver.status().evicted).toBe(jobs.all.length);
    // A fresh reader of the archive (no segment's job ids known), counting what it opens.
    const fresh = archivedLogOf(d.access, d.engine.prefix);
    const asked: Array<ReadonlyArray<unknown>> = [];
    const counting = {
      ...fresh,
      jobEntries: async (...args: Parameters<typeof fresh.jobEntries>) => {
        asked.push(args);
        return fresh.jobEntries(...args);
      },
    };
    const tiered = new TieredLog(d.engine.client, new Keys(d.engine.prefix, SHARDS), counting);
    const keys = new Keys(d.engine.prefix, SHARDS);
    const segments = readdirSync(join(d.access.archiveDir, d.engine.prefix), { recursive: true }).filter(
      (name) => String(name).endsWith(SEGMENT_FILE),
    );
    expect(segments.length).toBeGreaterThan(2);
    expect(await tiered.jobEntries(0, "00000000-0000-7000-8000-000000000000", null)).toEqual([]);
    expect(asked).toEqual([[0, "00000000-0000-7000-8000-000000000000", 0, 60_000]]);
    // A real evicted job is still read whole, JobEvicted included.
    const id = jobs.completed[0] as string;
    const entries = await tiered.jobEntries(keys.shardOf(id), id, null);
    expect(entries.length).toBe((before.get(id)?.events.length ?? 0) + 1);
    await archiver.stop();
    await d.engine.close();
  });

  it("a dependency that has left Redis still counts (read from the archive), and its dependents set leaves with it", async () => {
    const d = await deploy();
    const submit = (spec: Record<string, unknown>) => d.engine.jobs.submit(spec, apiActor);
    const done = (await submit({ type: "echo", payload: "done" })).jobId;
    const dead = (await submit({ type: "broken", maxAttempts: 1 })).jobId;
    await drain(d);
    // Named while still in Redis: counted at once, and linked (the dependents set).
    const early = (await submit({ type: "echo", dependsOn: [done] })).jobId;
    await drain(d);
    const keys = new Keys(d.engine.prefix, SHARDS);
    const dependentsKey = keys.dependents(keys.shardOf(done), done);
    expect(await d.engine.client.smembers(dependentsKey)).toEqual([early]);
    expect(await d.engine.jobs.dependents(done)).toEqual([early]);

    d.advance(RETENTION.deadLetterMs + 10_000);
    const archiver = d.archiver(RETENTION);
    await archiver.runOnce();
    await archiver.runOnce();
    for (const id of [done, dead, early]) expect(await d.engine.jobs.tierOf(id)).toBe("archive");
    expect(await d.engine.client.exists(dependentsKey)).toBe(0);

    // Named after it left: the archived end counts at once, as a hot one would.
    const released = (await submit({ type: "echo", dependsOn: [done] })).jobId;
    expect(await d.engine.jobs.view(released)).toMatchObject({ status: "queued" });
    expect((await d.engine.jobs.events(released)).map((e) => e.type)).toEqual([
      "JobSubmitted",
      "DependencyEnded",
      "JobReleased",
    ]);
    const failed = (await submit({ type: "echo", dependsOn: [dead] })).jobId;
    expect(await d.engine.jobs.view(failed)).toMatchObject({ status: "dead_letter" });
    // A job in neither tier is still refused.
    await expect(
      submit({ type: "echo", dependsOn: ["0190f000-0000-7000-8000-000000000000"] }),
    ).rejects.toMatchObject({
      code: "dependency_not_found",
    });
    await archiver.stop();
    await d.engine.close();
  });

  it("a worker given the archive resumes a job whose events were archived and trimmed while it slept (its step not run again), and shows a child that left Redis in ctx.children()", async () => {
    const d = await deploy();
    let runs = 0;
    const opened = await openWorker(
      { redisUrl: redis.url, prefix: d.engine.prefix, shards: SHARDS, leaseMs: 30_000, archive: d.access },
      {
        name: "archive-reader",
        queues: ["default"],
        concurrency: 4,
        handlers: {
          echo: async (payload) => payload,
          durable: async (_payload, ctx) => {
            const value = await ctx.step("once", () => ++runs);
            await ctx.sleep("nap", 1_500);
            return { value };
          },
          kids: async (_payload, ctx) =>
            (await ctx.children()).map((c) => ({ status: c.status, result: c.result })),
        },
      },
    );
    const running = opened.worker.run();
    try {
      const durable = (await d.engine.jobs.submit({ type: "durable" }, apiActor)).jobId;
      await waitFor(async () => (await d.engine.jobs.view(durable)).status === "suspended", "the sleep");
      const done = (await d.engine.jobs.submit({ type: "echo", payload: "done", retainMs: 0 }, apiActor))
        .jobId;
      await waitFor(async () => (await d.engine.jobs.view(done)).status === "completed", "the child");
      // Everything so far is sealed and trimmed: the sleeper's step result is in the archive only.
      d.advance(10_000);
      const archiver = d.archiver(RETENTION);
      await archiver.runOnce();
      await archiver.runOnce();
      expect(await d.engine.jobs.tierOf(done)).toBe("archive");
      const durableEntries = (await d.engine.jobs.events(durable)).length;
      expect(archiver.status().trimmedEntries).toBeGreaterThanOrEqual(durableEntries);
      await waitFor(async () => (await d.engine.jobs.view(durable)).status === "completed", "the resume");
      expect(await d.engine.jobs.view(durable)).toMatchObject({ result: { value: 1 } });
      expect(runs).toBe(1);
      // A job naming the archived child runs at once and reads it from the archive.
      const parent = (await d.engine.jobs.submit({ type: "kids", dependsOn: [done] }, apiActor)).jobId;
      await waitFor(async () => (await d.engine.jobs.view(parent)).status === "completed", "the parent");
      expect((await d.engine.jobs.view(parent)).result).toEqual([{ status: "completed", result: "done" }]);
      await archiver.stop();
    } finally {
      await opened.worker.stop(1_000);
      await running;
      await opened.close();
      await d.engine.close();
    }
  });

  it("an operator's purge is recorded with who asked, and the jobs leave once archived", async () => {
    const d = await deploy();
    const jobs = await submitMix(d);
    await drain(d);
    const retention = composeRetention(
      { client: d.engine.client, prefix: d.engine.prefix, shards: SHARDS, clock: d.clock },
      RETENTION,
    );
    const operator = { kind: "operator" as const, id: "alice" };
    // Nothing ended an hour ago; then every completed job (the own-retention ones included).
    expect(
      await retention.purge({ status: "completed", olderThanMs: 3_600_000, actor: operator, limit: 100 }),
    ).toBe(0);
    d.advance(5_000);
    const purged = await retention.purge({
      status: "completed",
      olderThanMs: 1_000,
      actor: operator,
      limit: 100,
    });
    expect(purged).toBe(jobs.completed.length + 2); // the six, the own-retention one, the keyed one
    // A second purge finds nothing more to record.
    expect(
      await retention.purge({ status: "completed", olderThanMs: 1_000, actor: operator, limit: 100 }),
    ).toBe(0);
    const last = (await d.engine.jobs.events(jobs.completed[0] as string)).at(-1);
    expect(last).toMatchObject({
      type: "JobEvicted",
      actor: operator,
      data: { reason: "purge", olderThanMs: 1_000 },
    });
    // Dead letters and the cancelled job are untouched (their retention has not run out); the
    // purged ones leave once their JobEvicted is archived.
    const archiver = d.archiver(RETENTION);
    await archiver.runOnce();
    await archiver.runOnce();
    for (const id of jobs.completed) expect(await d.engine.store.loadHead(id)).toBeNull();
    expect(await d.engine.store.loadHead(jobs.keyed)).toBeNull();
    expect(await d.engine.store.loadHead(jobs.dead[0] as string)).not.toBeNull();
    expect(await d.engine.store.loadHead(jobs.cancelled)).not.toBeNull();
    expect(archiver.status().evictionsRecorded).toBe(0);
    await archiver.stop();
    await d.engine.close();
  });

  /** An API with a token and an archiver sealing at once (retention a day: only purges evict). */
  const archivingApi = async (token: string) => ({
    api: await startApi(redis.url, {
      token,
      archiver: {
        archiveDir: join(tempDir(), "archive"),
        dataDir: tempDir(),
        segmentEntries: 5,
        maxAgeMs: 10,
        leaseMs: 60_000,
        pollMs: 20,
        retention: { completedMs: 86_400_000, deadLetterMs: 86_400_000, cancelledMs: 86_400_000 },
      },
    }),
    auth: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });

  it("over HTTP: a purge is refused unless well-formed, recorded with the caller, and the job then reads from the archive (Docket-Tier)", async () => {
    const { api, auth } = await archivingApi("t0ken-for-purge");
    try {
      const ids: Array<string> = [];
      for (let i = 0; i < 3; i++) {
        const submitted = await api.app.inject({
          method: "POST",
          url: "/v1/jobs",
          headers: auth,
          payload: { type: "echo", payload: { i } },
        });
        expect(submitted.statusCode).toBe(202);
        ids.push(submitted.json().id as string);
      }
      const { done } = await startWorker(api.engine, handlers, { burst: true, concurrency: 2 });
      await done;
      const id = ids[0] as string;
      // Every route that answers from one job's history says which tier it came from.
      const perJobReads = [
        "",
        "/events",
        "/logs",
        "/tree",
        "/replay",
        "/explain",
        `/state?at=${encodeURIComponent(new Date().toISOString())}`,
      ];
      const tiers = async () => {
        const said: Array<[string, number, unknown]> = [];
        for (const route of perJobReads) {
          const read = await api.app.inject({ method: "GET", url: `/v1/jobs/${id}${route}`, headers: auth });
          said.push([route, read.statusCode, read.headers["docket-tier"]]);
        }
        return said;
      };
      expect(await tiers()).toEqual(perJobReads.map((route) => [route, 200, "redis"]));

      for (const payload of [
        {},
        { status: "running", olderThan: "1h" },
        { status: "completed", olderThan: "7 days" },
        { status: "completed", olderThan: "1h", limit: 0 },
        { status: "completed", olderThan: "99999999999d" },
        { status: "completed", olderThan: "1h", extra: true },
      ]) {
        const refused = await api.app.inject({
          method: "POST",
          url: "/v1/jobs/purge",
          headers: auth,
          payload,
        });
        expect(refused.statusCode, JSON.stringify(payload)).toBe(400);
        expect(refused.json().error.code).toBe("invalid_request");
      }
      const anonymous = await api.app.inject({
        method: "POST",
        url: "/v1/jobs/purge",
        headers: { "content-type": "application/json" },
        payload: { status: "completed", olderThan: "0s" },
      });
      expect(anonymous.statusCode).toBe(401);

      const purged = await api.app.inject({
        method: "POST",
        url: "/v1/jobs/purge",
        headers: auth,
        payload: { status: "completed", olderThan: "0s" },
      });
      expect(purged.statusCode).toBe(200);
      expect(purged.json()).toEqual({ purged: 3 });
      await waitFor(
        async () => (await api.engine.store.loadHead(id)) === null,
        "the purged job to leave Redis",
      );

      expect(await tiers()).toEqual(perJobReads.map((route) => [route, 200, "archive"]));
      const view = await api.app.inject({ method: "GET", url: `/v1/jobs/${id}`, headers: auth });
      expect(view.statusCode).toBe(200);
      expect(view.json()).toMatchObject({ id, status: "completed" });
      expect(view.json().evictedAt).not.toBeNull();
      const events = await api.app.inject({ method: "GET", url: `/v1/jobs/${id}/events`, headers: auth });
      expect(events.headers["docket-tier"]).toBe("archive");
      expect(events.json().events.at(-1)).toMatchObject({
        type: "JobEvicted",
        actor: { kind: "client", id: "default" },
        data: { reason: "purge", olderThanMs: 0 },
      });
      // An id no job ever had is still a plain 404, and costs no archive read.
      const unknown = await api.app.inject({ method: "GET", url: "/v1/jobs/not-a-job", headers: auth });
      expect(unknown.statusCode).toBe(404);
      // Its webhook deliveries (none here) are still listed.
      const deliveries = await api.app.inject({
        method: "GET",
        url: `/v1/jobs/${id}/webhook-deliveries`,
        headers: auth,
      });
      expect(deliveries.statusCode).toBe(200);
      expect(deliveries.json()).toEqual({ deliveries: [] });
      // Its tree: itself, from the archive (it depended on nothing).
      const tree = await api.app.inject({ method: "GET", url: `/v1/jobs/${id}/tree`, headers: auth });
      expect(tree.statusCode).toBe(200);
      expect(tree.json()).toEqual({
        id,
        type: "echo",
        status: "completed",
        dependencies: [],
      });
      // A command for the purged job: 409 job_evicted with the status it ended in, not 404.
      for (const [verb, payload] of [
        ["cancel", {}],
        ["retry", {}],
        ["signal", { name: "go" }],
      ] as const) {
        const refused = await api.app.inject({
          method: "POST",
          url: `/v1/jobs/${id}/${verb}`,
          headers: auth,
          payload,
        });
        expect([verb, refused.statusCode]).toEqual([verb, 409]);
        expect(refused.json().error).toMatchObject({ code: "job_evicted", jobId: id, status: "completed" });
      }
      expect(takeViolations()).toEqual([]);
    } finally {
      await api.stop();
    }
  });

  it("the tree of a job in Redis shows a dependency that has left it as it ended, read from the archive", async () => {
    const { api, auth } = await archivingApi("t0ken-for-tree");
    try {
      const submit = async (spec: object): Promise<string> => {
        const submitted = await api.app.inject({
          method: "POST",
          url: "/v1/jobs",
          headers: auth,
          payload: spec,
        });
        expect(submitted.statusCode, submitted.body).toBe(202);
        return submitted.json().id as string;
      };
      const first = await submit({ type: "echo", payload: { i: 1 } });
      // On a queue no worker here takes: it stays in Redis, released and queued.
      const waiting = await submit({ type: "echo", queue: "elsewhere", dependsOn: [first] });
      const { done } = await startWorker(api.engine, handlers, { burst: true });
      await done;
      // The dependency's end is recorded in the waiting job by the API's dependency follower.
      await waitFor(
        async () =>
          (await api.app.inject({ method: "GET", url: `/v1/jobs/${waiting}`, headers: auth })).json()
            .status === "queued",
        "the waiting job to be released",
      );
      /** Purge every job ended `status` (one, `id`), and wait until it has left Redis. */
      const purgeOne = async (status: string, id: string) => {
        const purged = await api.app.inject({
          method: "POST",
          url: "/v1/jobs/purge",
          headers: auth,
          payload: { status, olderThan: "0s" },
        });
        expect(purged.json()).toEqual({ purged: 1 });
        await waitFor(async () => (await api.engine.store.loadHead(id)) === null, `${id} to leave Redis`);
      };
      await purgeOne("completed", first);

      const tree = await api.app.inject({ method: "GET", url: `/v1/jobs/${waiting}/tree`, headers: auth });
      expect(tree.statusCode).toBe(200);
      expect(tree.json()).toEqual({
        id: waiting,
        type: "echo",
        status: "queued",
        dependencies: [
          {
            id: first,
            type: "echo",
            status: "completed",
            onFailure: "fail",
            child: false,
            ended: "completed",
            dependencies: [],
            truncated: true,
          },
        ],
      });
      // Once the waiting job has left Redis too, its tree is read from the archive alike.
      const cancelled = await api.app.inject({
        method: "POST",
        url: `/v1/jobs/${waiting}/cancel`,
        headers: auth,
        payload: {},
      });
      expect(cancelled.statusCode).toBe(200);
      await purgeOne("cancelled", waiting);
      const archived = await api.app.inject({
        method: "GET",
        url: `/v1/jobs/${waiting}/tree`,
        headers: auth,
      });
      expect(archived.statusCode).toBe(200);
      expect(archived.json()).toMatchObject({
        id: waiting,
        type: "echo",
        status: "cancelled",
        dependencies: [{ id: first, type: "echo", status: "completed", ended: "completed", truncated: true }],
      });
      expect(takeViolations()).toEqual([]);
    } finally {
      await api.stop();
    }
  });
});
