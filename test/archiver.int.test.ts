/**
 * The archiver on a real Redis and a real archive directory (ADR 0028, 0029): it seals the
 * shard logs into signed segments that verify offline and prove each job's events (with
 * trimming off, changing nothing in Redis; trimming itself: tiered-history.int); one archiver is active at a time, a stale one is refused by its fencing
 * token; an archive that refuses writes pauses archiving (health says so) and nothing is lost;
 * a Redis restart during archiving loses and duplicates nothing.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RedisClient } from "../src/infra/redis/connection.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ArchivedEntry,
  emptyHead,
  entryChars,
  type Envelope,
  eventOf,
  parseArchivedEntryLine,
  seal,
} from "../src/domain/index.ts";
import { Archiver, type ShardLogReader } from "../src/engine/archive/index.ts";
import type { Clock } from "../src/engine/shared/index.ts";
import { ed25519Verifier, loadSigningKey } from "../src/infra/archive/ed25519.ts";
import { FsArchiveStore } from "../src/infra/archive/fs-archive-store.ts";
import { RedisArchiverLease, RedisShardLogReader } from "../src/infra/redis/redis-archive.ts";
import { whenReady } from "../src/infra/redis/connection.ts";
import { Keys } from "../src/infra/redis/keys.ts";
import {
  type ArchiverSettings,
  archiveDirOf,
  archiveOrigin,
  compareArchiveWithRedis,
  archivePublicKeyPem,
  composeArchiver,
  openApiServer,
  proveJobInArchive,
  verifyArchiveDir,
} from "../src/main.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { tempDbPath } from "./support/projection.ts";
import { startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { tempDirs } from "./support/temp-dirs.ts";
import { runEchoJobs } from "./support/workers.ts";

let redis: TestRedis;
const tempDir = tempDirs("docket-archive-");

beforeAll(async () => {
  redis = await startRedis({ appendOnly: true });
});
afterAll(async () => {
  await redis.stop();
});

/** Log entries as XRANGE gives them. */
const logEntries = async (client: RedisClient, prefix: string, shard = 0) =>
  ((await client.xrange(new Keys(prefix, 1).log(shard), "-", "+")) as Array<[string, Array<string>]>).map(
    ([id, fields]) => ({ id, fields }),
  );

/** Every entry of the archive's segments, in order. */
const archivedEntries = async (dir: string, shard = 0) => {
  const store = new FsArchiveStore(dir);
  const entries = [];
  for (const segment of await store.segments(shard)) {
    const { segment: text } = await store.read(shard, segment);
    for (const line of text.slice(0, -1).split("\n")) entries.push(parseArchivedEntryLine(line));
  }
  return entries;
};

interface Setup {
  readonly engine: TestEngine;
  readonly settings: ArchiverSettings;
  /** The deployment's archive: DOCKET_ARCHIVE_DIR/<prefix>. */
  readonly dir: string;
  archiver(overrides?: Partial<ArchiverSettings> & { clock?: Clock }): Archiver;
}

const setup = async (overrides: Partial<ArchiverSettings> = {}, url = redis.url): Promise<Setup> => {
  const engine = await makeEngine(url);
  const settings: ArchiverSettings = {
    archiveDir: join(tempDir(), "archive"),
    dataDir: tempDir(),
    segmentEntries: 25,
    maxAgeMs: 3_600_000,
    leaseMs: 60_000,
    pollMs: 20,
    ...overrides,
  };
  return {
    engine,
    settings,
    dir: archiveDirOf(settings.archiveDir, engine.prefix),
    archiver: ({ clock, ...more } = {}) =>
      composeArchiver(
        {
          client: engine.client,
          prefix: engine.prefix,
          shards: 1,
          ...(clock === undefined ? {} : { clock }),
        },
        { ...settings, ...more },
      ),
  };
};

const later: Clock = { now: () => Date.now() + 7_200_000 };

describe("the archiver", () => {
  it("seals the shard log into signed segments that verify offline and prove each job (with trimming off, changing nothing in Redis)", async () => {
    const { engine, settings, dir, archiver } = await setup();
    const ids = await runEchoJobs(engine, 20);
    const before = await logEntries(engine.client, engine.prefix);
    expect(before.length).toBe(60);

    // Full segments only, while the rest is younger than the max age.
    const first = archiver({ trim: false });
    expect(await first.runOnce()).toBe(2);
    expect(first.status().shards[0]?.lastEntryId).toBe(before[49]?.id);
    // Once the oldest unarchived entry is older than the max age, the partial segment seals.
    expect(await archiver({ clock: later, trim: false }).runOnce()).toBe(0); // the lease is the first's
    await first.stop();
    expect(await archiver({ clock: later, trim: false }).runOnce()).toBe(1);

    expect(await logEntries(engine.client, engine.prefix)).toEqual(before);
    expect(await archivedEntries(dir)).toEqual(before);
    const pem = archivePublicKeyPem(settings);
    const report = await verifyArchiveDir(dir, pem);
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ ok: true, entries: 60, jobs: 20, origin: `docket/${engine.prefix}` });
    expect(report.shards[0]).toMatchObject({ segments: 3, entries: 60, lastEntryId: before[59]?.id });

    const proof = await proveJobInArchive(dir, ids[7] as string, pem);
    expect(proof.ok).toBe(true);
    expect(proof.events.map((e) => e.type)).toEqual(["JobSubmitted", "AttemptStarted", "JobCompleted"]);
    // The key was generated into the data directory, readable by its owner only.
    expect(statSync(join(settings.dataDir, "archive-signing-key.pem")).mode & 0o777).toBe(0o600);
    await engine.close();
  });

  it("a consistent rewrite of a job's events in Redis (re-hashed, the log rebuilt) is caught for every sealed range", async () => {
    const { engine, settings, dir, archiver } = await setup();
    const ids = await runEchoJobs(engine, 10);
    // Sealed but not yet trimmed (the log keeps what a lagging reader still reads, or trimming
    // is off): the archive's signatures catch a rewrite of what Redis still holds.
    const sealer = archiver({ clock: later, trim: false });
    expect(await sealer.runOnce()).toBe(2);
    await sealer.stop();
    const config = { redisUrl: redis.url, prefix: engine.prefix, shards: 1 };
    expect(await compareArchiveWithRedis(config, dir)).toMatchObject({
      ok: true,
      compared: 30,
      differences: [],
    });

    // The attacker rewrites job 3's result and re-seals its chain, then rebuilds the log with
    // the same entry ids: every hash in Redis checks out.
    const victim = ids[3] as string;
    const log = await logEntries(engine.client, engine.prefix);
    const field = (fields: ReadonlyArray<string>, name: string) => fields[fields.indexOf(name) + 1] as string;
    const events = log
      .filter((e) => field(e.fields, "jobId") === victim)
      .map((e) => JSON.parse(field(e.fields, "env")) as Envelope)
      .map((envelope) =>
        envelope.type === "JobCompleted"
          ? { ...envelope, data: { ...envelope.data, result: "forged" } }
          : envelope,
      )
      .map(eventOf);
    // Re-sealed as the writer seals: the untouched events keep their stored text to the byte.
    const forged = seal(emptyHead(victim), events).texts;
    const key = new Keys(engine.prefix, 1).log(0);
    await engine.client.del(key);
    for (const entry of log) {
      const fields = [...entry.fields];
      if (field(fields, "jobId") === victim) {
        fields[fields.indexOf("env") + 1] = forged[Number(field(fields, "seq")) - 1] as string;
      }
      await engine.client.xadd(key, entry.id, ...fields);
    }
    const rewritten = log.filter(
      (e) => field(e.fields, "jobId") === victim && field(e.fields, "type") === "JobCompleted",
    );
    expect(rewritten).toHaveLength(1);

    // The archive alone still verifies (it was not touched); against Redis, the rewrite shows.
    expect((await verifyArchiveDir(dir, archivePublicKeyPem(settings))).ok).toBe(true);
    const comparison = await compareArchiveWithRedis(config, dir);
    expect(comparison.ok).toBe(false);
    expect(comparison.differences).toEqual([
      expect.objectContaining({
        entryId: rewritten[0]?.id,
        problem: "the log's entry differs from the sealed one",
      }),
    ]);
    await engine.close();
  });

  it("one archiver at a time: a second waits on standby and takes over with a higher fencing token", async () => {
    const { engine, archiver } = await setup();
    await runEchoJobs(engine, 10);
    const a = archiver();
    const b = archiver();
    expect(await a.runOnce()).toBe(1);
    expect(await b.runOnce()).toBe(0);
    expect(b.status().state).toBe("standby");
    const tokenA = a.status().fence as number;
    await a.stop();
    await runEchoJobs(engine, 10);
    expect(await b.runOnce()).toBe(1);
    expect(b.status()).toMatchObject({ state: "active" });
    expect(b.status().fence).toBeGreaterThan(tokenA);
    await b.stop();
    await engine.close();
  });

  it("a stale archiver (its lease lapsed, another took over and wrote) is refused by its fencing token", async () => {
    const { engine, settings, dir, archiver } = await setup({ segmentEntries: 15 });
    await runEchoJobs(engine, 5);
    const stale = archiver();
    expect(await stale.runOnce()).toBe(1);
    // Its lease lapses (as if the process were paused past it), and another archiver takes over.
    await engine.client.del(new Keys(engine.prefix, 1).archiverLease());
    await runEchoJobs(engine, 5);
    const fresh = archiver();
    expect(await fresh.runOnce()).toBe(1);
    await runEchoJobs(engine, 5);
    // The stale one still believes it holds the lease: segment 1 exists, its segment 2 is refused.
    expect(await stale.runOnce()).toBe(0);
    expect(stale.status().state).toBe("standby");
    expect(await new FsArchiveStore(dir).segments(0)).toEqual([0, 1]);
    expect(await fresh.runOnce()).toBe(1);
    const report = await verifyArchiveDir(dir, archivePublicKeyPem(settings));
    expect(report).toMatchObject({ ok: true, entries: 45 });
    await fresh.stop();
    await engine.close();
  });

  it("an archiver whose directory is behind what was archived (another host's, a restored backup) refuses to continue it", async () => {
    const { engine, archiver } = await setup();
    await runEchoJobs(engine, 10);
    const first = archiver();
    expect(await first.runOnce()).toBe(1);
    await first.stop();
    const elsewhere = join(tempDir(), "archive");
    const second = archiver({ archiveDir: elsewhere });
    expect(await second.runOnce()).toBe(0);
    expect(second.status()).toMatchObject({ state: "paused", paused: { code: "archive_behind" } });
    expect(await new FsArchiveStore(archiveDirOf(elsewhere, engine.prefix)).segments(0)).toEqual([]);
    // It gave the lease back: an archiver on the right directory carries on.
    await runEchoJobs(engine, 10);
    expect(await archiver().runOnce()).toBe(1);
    await engine.close();
  });

  it.each([
    { where: "inline", thread: false },
    { where: "in its thread, as docket api runs it", thread: true },
  ])(
    "an archive that refuses writes pauses archiving, health says so, and it resumes with nothing lost (archiver $where)",
    async ({ thread }) => {
      const blocked = join(tempDir(), "not-a-directory");
      writeFileSync(blocked, "a file where the archive should be");
      const archiveDir = join(blocked, "archive");
      const dataDir = tempDir();
      const prefix = uniquePrefix();
      const server = await openApiServer({
        redisUrl: redis.url,
        prefix,
        shards: 1,
        leaseMs: 2_000,
        dbPath: tempDbPath(),
        archiver: {
          archiveDir,
          dataDir,
          segmentEntries: 5,
          maxAgeMs: 10,
          leaseMs: 60_000,
          pollMs: 20,
          thread,
        },
      });
      const engine = await makeEngine(redis.url, { prefix });
      await runEchoJobs(engine, 3);
      await waitFor(() => server.archiver?.status().state === "paused", "the archiver to pause");
      const health = await server.app.inject({ method: "GET", url: "/health" });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toMatchObject({
        status: "degraded",
        reason: { code: "archive_paused" },
        archive: { state: "paused", paused: { code: "ENOTDIR" } },
      });
      expect(await server.metrics.text()).toMatch(/^docket_archive_paused 1$/m);
      // The medium takes writes again: archiving resumes by itself and catches up.
      // Nothing was trimmed while the archive refused: every entry is still in Redis.
      const log = await logEntries(engine.client, prefix);
      expect(log).toHaveLength(9);
      rmSync(blocked);
      mkdirSync(blocked);
      await waitFor(
        () => server.archiver?.status().shards[0]?.lastEntryId === log.at(-1)?.id,
        "the archiver to catch up",
      );
      expect((await server.app.inject({ method: "GET", url: "/health" })).json()).toMatchObject({
        status: "ok",
        archive: { state: "active" },
      });
      const scraped = await server.metrics.text();
      expect(scraped).toMatch(/^docket_archive_paused 0$/m);
      expect(scraped).toMatch(/^docket_archive_active 1$/m);
      expect(scraped).toContain(`docket_archive_sealed_entries ${log.length}\n`);
      expect(await archivedEntries(archiveDirOf(archiveDir, prefix))).toEqual(log);
      await server.close();
      await engine.close();
    },
  );

  it("a Redis restart during archiving loses nothing and duplicates nothing", async () => {
    // A server of its own (AOF on) even when REDIS_URL is given: this test restarts it.
    const own = await startRedis({ appendOnly: true, own: true });
    const { engine, settings, dir, archiver } = await setup({ segmentEntries: 7, maxAgeMs: 10 }, own.url);
    const running = archiver();
    running.start();
    await runEchoJobs(engine, 10);
    await own.restart();
    await whenReady(engine.client);
    await runEchoJobs(engine, 10);
    // The archiver trims as it goes: all 60 entries end up in the archive, each once, in order,
    // and none is left in Redis.
    let archived: Awaited<ReturnType<typeof archivedEntries>> = [];
    await waitFor(async () => {
      archived = await archivedEntries(dir);
      return archived.length >= 60;
    }, "the archiver to catch up");
    await running.stop();
    expect(archived).toHaveLength(60);
    const ids = archived.map((entry) => (typeof entry === "string" ? entry : entry.id));
    expect(new Set(ids).size).toBe(60);
    expect(await logEntries(engine.client, engine.prefix)).toEqual([]);
    const report = await verifyArchiveDir(dir, archivePublicKeyPem(settings));
    expect(report).toMatchObject({ ok: true, entries: 60 });
    await engine.close();
    await own.stop();
  });

  it("the store refuses a segment number twice and a commit with a stale fencing token", async () => {
    const { settings, engine } = await setup();
    const root = join(tempDir(), "archive");
    const store = new FsArchiveStore(archiveDirOf(root, engine.prefix));
    await runEchoJobs(engine, 2);
    const archiver = composeArchiver(
      { client: engine.client, prefix: engine.prefix, shards: 1, clock: later },
      { ...settings, archiveDir: root },
    );
    expect(await archiver.runOnce()).toBe(1);
    const files = await store.read(0, 0);
    await expect(store.commit(0, 0, files, 99)).rejects.toMatchObject({ _tag: "SegmentExists" });
    await expect(store.commit(0, 1, files, 0)).rejects.toMatchObject({ _tag: "FencedOut" });
    expect(await store.segments(0)).toEqual([0]);
    await archiver.stop();
    await engine.close();
  });

  it("a pass with no segment due reads no entries: it tells from the oldest id and the log's length", async () => {
    const { engine, settings } = await setup();
    const inner = new RedisShardLogReader(engine.client, { prefix: engine.prefix, shards: 1 });
    const reads: Array<number> = [];
    const log: ShardLogReader = {
      shards: 1,
      readAfter: async (shard, afterId, count) => {
        const entries = await inner.readAfter(shard, afterId, count);
        reads.push(entries.length);
        return entries;
      },
      pending: (shard, afterId) => inner.pending(shard, afterId),
      trimThrough: (shard, entryId) => inner.trimThrough(shard, entryId),
    };
    const { signer } = loadSigningKey({ dataDir: settings.dataDir });
    const archiver = new Archiver({
      log,
      store: new FsArchiveStore(archiveDirOf(settings.archiveDir, engine.prefix)),
      lease: new RedisArchiverLease(engine.client, { prefix: engine.prefix }),
      signer,
      trust: { publicKeys: [signer.publicKey], verifier: ed25519Verifier },
      clock: { now: () => Date.now() },
      origin: archiveOrigin(engine.prefix),
      holder: "reads-test",
      segmentEntries: 25,
      maxAgeMs: 3_600_000,
      leaseMs: 60_000,
      pollMs: 20,
    });
    await runEchoJobs(engine, 8); // 24 entries: less than a segment, all young
    expect(await archiver.runOnce()).toBe(0);
    expect(reads).toEqual([]);
    await runEchoJobs(engine, 1); // 27: one full segment; the 2 after it are not due
    expect(await archiver.runOnce()).toBe(1);
    expect(reads).toEqual([25]);
    expect(await archiver.runOnce()).toBe(0);
    expect(reads).toEqual([25]);
    expect(await inner.pending(0, archiver.status().shards[0]?.lastEntryId ?? "0-0")).toMatchObject({
      atMost: 2,
    });
    await archiver.stop();
    await engine.close();
  });

  it("reads a segment's worth in pages, giving what one XRANGE gives; pending names the oldest entry after a position", async () => {
    const { engine } = await setup();
    const key = new Keys(engine.prefix, 1).log(0);
    const pipeline = engine.client.pipeline();
    for (let i = 0; i < 2_500; i++) pipeline.xadd(key, "*", "jobId", `job-${i}`, "env", `{"i":${i}}`);
    await pipeline.exec();
    const all = await logEntries(engine.client, engine.prefix);
    const reader = new RedisShardLogReader(engine.client, { prefix: engine.prefix, shards: 1 });
    expect(await reader.readAfter(0, "0-0", 2_400)).toEqual(all.slice(0, 2_400));
    expect(await reader.readAfter(0, all[999]?.id ?? "", 10_000)).toEqual(all.slice(1_000));
    expect(await reader.readAfter(0, all[2_499]?.id ?? "", 10)).toEqual([]);
    expect(await reader.pending(0, "0-0")).toEqual({ oldestId: all[0]?.id, atMost: 2_500 });
    expect(await reader.pending(0, all[1_233]?.id ?? "")).toEqual({
      oldestId: all[1_234]?.id,
      atMost: 2_500,
    });
    expect(await reader.pending(0, all[2_499]?.id ?? "")).toEqual({ oldestId: null, atMost: 2_500 });
    await engine.close();
  });
  it("large entries: a segment closes once its text reaches segmentMaxChars, one larger than that is sealed alone, nothing is lost", async () => {
    const { engine, settings, dir, archiver } = await setup({ segmentEntries: 100, segmentMaxChars: 20_000 });
    // Payloads of quotes, escaped in the log's JSON and again in the archive's lines.
    for (let i = 0; i < 12; i++)
      await engine.jobs.submit({ type: "echo", payload: { q: '"'.repeat(2_000 + i * 300) } }, apiActor);
    await engine.jobs.submit({ type: "echo", payload: { big: "y".repeat(30_000) } }, apiActor);
    const before = await logEntries(engine.client, engine.prefix);
    const running = archiver({ clock: later });
    await running.runOnce();
    await running.stop();
    const store = new FsArchiveStore(dir);
    const segments = await store.segments(0);
    expect(segments.length).toBeGreaterThan(2);
    for (const segment of segments) {
      const { segment: text } = await store.read(0, segment);
      const entries = text
        .slice(0, -1)
        .split("\n")
        .map((line) => parseArchivedEntryLine(line) as ArchivedEntry);
      // Under the bound until its last entry, which may cross it.
      const beforeLast = entries.slice(0, -1).reduce((n, e) => n + entryChars(e), 0);
      expect(beforeLast).toBeLessThan(20_000);
    }
    const last = before.at(-1) as ArchivedEntry;
    expect(entryChars(last)).toBeGreaterThan(20_000);
    const lastSegment = await store.read(0, segments.at(-1) as number);
    expect(lastSegment.segment.split("\n").length).toBe(2); // the big one alone, and the final newline
    expect(await archivedEntries(dir)).toEqual(before);
    const report = await verifyArchiveDir(dir, archivePublicKeyPem(settings));
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ ok: true, entries: before.length });
    await engine.close();
  });
});
