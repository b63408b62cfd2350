/**
 * Archiving throughput and size (`npm run bench:archive`): BENCH_JOBS jobs (default 20,000) run
 * end to end (submitted, started, completed by an in-process worker: 3 shard-log entries each),
 * then one archiver seals the whole log into segments of DOCKET_ARCHIVE_SEGMENT_ENTRIES
 * (default 10,000) and the archive is verified offline. Prints entries/s and jobs/s for sealing
 * (read from Redis, hash, sign, write and fsync) and for verification, and the archive's bytes
 * on disk per job. Then, on two fresh logs of the same size, how long the event loop of the
 * process running the archiver is held while it seals: inline, and in its thread as `docket api`
 * runs it (ADR 0044). Uses a private redis-server (or REDIS_URL) and a temp folder.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import {
  archiveDirOf,
  archivePublicKeyPem,
  ArchiverThread,
  composeArchiver,
  verifyArchiveDir,
} from "../dist/main.js";
import { makeEngine } from "../test/support/engine.ts";
import { startRedis } from "../test/support/redis.ts";
import { startWorker } from "../test/support/workers.ts";

const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const SEGMENT = Number(process.env.DOCKET_ARCHIVE_SEGMENT_ENTRIES ?? 10_000);
const actor = { kind: "client", id: "bench" } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = (line: string) => process.stdout.write(`${line}\n`);
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

/** Bytes of every file under `dir`. */
const bytesUnder = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, entry) =>
      sum + (entry.isDirectory() ? bytesUnder(join(dir, entry.name)) : statSync(join(dir, entry.name)).size),
    0,
  );

const entries = JOBS * 3;

/** JOBS jobs submitted and completed by an in-process worker: 3 shard-log entries each. */
const runJobs = async (engine: Awaited<ReturnType<typeof makeEngine>>): Promise<void> => {
  const { worker } = await startWorker(engine, { noop: () => null }, { concurrency: 50 });
  for (let i = 0; i < JOBS; i += 1_000)
    await engine.jobs.submitMany(
      Array.from({ length: Math.min(1_000, JOBS - i) }, (_, j) => ({ type: "noop", payload: { i: i + j } })),
      actor,
    );
  while ((await engine.client.xlen(engine.store.keys.log(0))) < entries) await sleep(100);
  await worker.stop(1_000);
};

const redis = await startRedis();
const dir = mkdtempSync(join(tmpdir(), "docket-bench-archive-"));
try {
  const engine = await makeEngine(redis.url, { shards: 1 });
  await runJobs(engine);

  const settings = { archiveDir: join(dir, "archive"), dataDir: dir, segmentEntries: SEGMENT, maxAgeMs: 10 };
  // A clock an hour ahead: the last partial segment is old enough to seal in the same pass.
  const archiver = composeArchiver(
    { client: engine.client, prefix: engine.prefix, shards: 1, clock: { now: () => Date.now() + 3_600_000 } },
    settings,
  );
  const began = performance.now();
  const segments = await archiver.runOnce();
  const ms = performance.now() - began;
  await archiver.stop();
  const deployment = archiveDirOf(settings.archiveDir, engine.prefix);
  const bytes = bytesUnder(deployment);
  out(
    `seal: ${entries} entries (${JOBS} jobs) into ${segments} segments of ${SEGMENT} in ${Math.round(ms)} ms = ` +
      `${rate(entries, ms)} entries/s, ${rate(JOBS, ms)} jobs/s`,
  );
  out(
    `size: ${bytes} bytes on disk = ${Math.round(bytes / JOBS)} bytes/job (${Math.round(bytes / entries)} bytes/entry)`,
  );
  const verifyBegan = performance.now();
  const report = await verifyArchiveDir(deployment, archivePublicKeyPem(settings));
  const verifyMs = performance.now() - verifyBegan;
  out(
    `verify: ${report.ok ? "OK" : "FAILED"}, ${report.entries} entries in ${Math.round(verifyMs)} ms = ` +
      `${rate(report.entries, verifyMs)} entries/s`,
  );
  await engine.close();

  // The process that runs the archiver: how long its event loop is held while the archiver
  // seals (what every request and job in that process waits), inline and in its thread (ADR
  // 0044, how `docket api` runs it). The same work each time: a fresh log of JOBS jobs.
  for (const where of ["inline", "thread"] as const) {
    const fresh = await makeEngine(redis.url, { shards: 1 });
    await runJobs(fresh);
    const settings = {
      archiveDir: join(dir, `archive-${where}`),
      dataDir: dir,
      segmentEntries: SEGMENT,
      maxAgeMs: 10,
      pollMs: 10,
    };
    const config = { redisUrl: redis.url, prefix: fresh.prefix, shards: 1 };
    const running =
      where === "thread"
        ? new ArchiverThread(config, settings, { statusEveryMs: 10 })
        : composeArchiver({ client: fresh.client, prefix: fresh.prefix, shards: 1 }, settings);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const began = performance.now();
    running.start();
    while (running.status().archivedEntries < entries) await sleep(5);
    const sealMs = performance.now() - began;
    delay.disable();
    await running.stop();
    const ms = (ns: number) => (ns / 1e6).toFixed(1);
    out(
      `archiver ${where.padEnd(6)}: sealed ${entries} entries in ${Math.round(sealMs)} ms; this process's event loop ` +
        `delayed p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms`,
    );
    await fresh.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await redis.stop();
}
