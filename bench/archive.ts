/**
 * Archiving throughput and size (`npm run bench:archive`): BENCH_JOBS jobs (default 20,000) run
 * end to end (submitted, started, completed by an in-process worker: 3 shard-log entries each),
 * then one archiver seals the whole log into segments of DOCKET_ARCHIVE_SEGMENT_ENTRIES
 * (default 10,000) and the archive is verified offline. Prints entries/s and jobs/s for sealing
 * (read from Redis, hash, sign, write and fsync) and for verification, and the archive's bytes
 * on disk per job. Uses a private redis-server (or REDIS_URL) and a temp folder.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { archiveDirOf, archivePublicKeyPem, composeArchiver, verifyArchiveDir } from "../dist/main.js";
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

const redis = await startRedis();
const dir = mkdtempSync(join(tmpdir(), "docket-bench-archive-"));
try {
  const engine = await makeEngine(redis.url, { shards: 1 });
  const { worker } = await startWorker(engine, { noop: () => null }, { concurrency: 50 });
  for (let i = 0; i < JOBS; i += 1_000)
    await engine.jobs.submitMany(
      Array.from({ length: Math.min(1_000, JOBS - i) }, (_, j) => ({ type: "noop", payload: { i: i + j } })),
      actor,
    );
  const entries = JOBS * 3;
  while ((await engine.client.xlen(engine.store.keys.log(0))) < entries) await sleep(100);
  await worker.stop(1_000);

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
} finally {
  rmSync(dir, { recursive: true, force: true });
  await redis.stop();
}
