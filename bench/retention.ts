/**
 * Redis bounded by retention (issue 13; ADR 0034). Not a timing assertion: it prints figures.
 *
 *   npx tsx bench/retention.ts           # 200,000 jobs; BENCH_JOBS=20000 for a quicker run
 *   npm run bench:retention              # builds dist/ first: Docket runs compiled, as deployed
 *
 * Starts a private redis-server (with `hash-max-listpack-value 512`, as `docket start` does), an
 * archiver holding the lease (segments of 10,000 entries, sealed after at most
 * BENCH_ARCHIVE_MAX_AGE_MS, default 5 s) with DOCKET_RETAIN_COMPLETED = BENCH_RETAIN_MS (default
 * 60 s), and one worker at concurrency 50; submits N `noop` jobs in bulk (chunks of 1,000) at full
 * speed while the worker drains them. Then prints:
 * - `used_memory` before the run, at the end of the drain, once the archive has caught up (the
 *   hot tier per job: heads and indexes of finished jobs awaiting retention, the log trimmed),
 *   and every 5 s after the last job completed (every second from the retention on, until back
 *   within 20 % of before) until 60 s past the retention;
 * - the archive's bytes on disk per job and the archiver's sealing rate during the run;
 * - an offline verification of the whole archive (every history, JobEvicted included).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, whenReady } from "../dist/infra/redis/connection.js";
import {
  archiveDirOf,
  archivePublicKeyPem,
  composeArchiver,
  composeEngine,
  openWorker,
  verifyArchiveDir,
} from "../dist/main.js";
import { startRedis } from "../test/support/redis.ts";
import { submitNoopsInBulk, usedMemory } from "./shared.ts";

const JOBS = Number(process.env.BENCH_JOBS ?? 200_000);
const RETAIN_MS = Number(process.env.BENCH_RETAIN_MS ?? 60_000);
const MAX_AGE_MS = Number(process.env.BENCH_ARCHIVE_MAX_AGE_MS ?? 5_000);
const PREFIX = "ret";
const actor = { kind: "client", id: "bench" } as const;

const out = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

const redis = await startRedis();
process.on("exit", () => redis.kill());
const client = await whenReady(connect({ url: redis.url, commandTimeoutMs: 120_000 }));
await client.config("SET", "hash-max-listpack-value", "512");
const dir = mkdtempSync(join(tmpdir(), "docket-retention-bench-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
const settings = {
  archiveDir: join(dir, "archive"),
  dataDir: dir,
  segmentEntries: 10_000,
  maxAgeMs: MAX_AGE_MS,
  leaseMs: 60_000,
  pollMs: 100,
  retention: { completedMs: RETAIN_MS, deadLetterMs: RETAIN_MS, cancelledMs: RETAIN_MS },
};

const logLength = async (): Promise<number> => client.xlen(`${PREFIX}:{0}:log`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const { jobs } = composeEngine({ client, prefix: PREFIX, shards: 1 });
const archiver = composeArchiver({ client, prefix: PREFIX, shards: 1 }, settings);
const memoryCold = await usedMemory(client);
archiver.start();
const { worker, close } = await openWorker(
  { redisUrl: redis.url, prefix: PREFIX, shards: 1, leaseMs: 30_000 },
  { name: "retention", queues: ["default"], concurrency: 50, handlers: { noop: () => null } },
);
const running = worker.run();
// A warm deployment: connections open, scripts loaded, a first batch run and gone (retainMs 0),
// so "before" is Docket at rest, not a Redis Docket never touched.
const WARM = 1_000;
await jobs.submitMany(
  Array.from({ length: WARM }, (_, i) => ({ type: "noop", payload: { warm: i }, retainMs: 0 })),
  actor,
);
while (archiver.status().evicted < WARM) await sleep(100);
while ((await logLength()) > 0) await sleep(100);
await client.call("SLOWLOG", "RESET");
const memoryBefore = await usedMemory(client);
const memoryInfoBefore = await client.info("memory");
const baseCompleted = worker.info().completed;
const started = performance.now();
await submitNoopsInBulk(jobs, JOBS, actor);
const submittedMs = performance.now() - started;
while (worker.info().completed - baseCompleted < JOBS) await sleep(50);
const drainedMs = performance.now() - started;
const lastCompletedAt = Date.now();
const memoryDrained = await usedMemory(client);
const sealedDuringRun = archiver.status().archivedEntries;
await worker.stop();
await running;
await close();

// The hot tier: wait until everything so far is sealed and trimmed (retention not yet due).
while ((await logLength()) > 0 && Date.now() - lastCompletedAt < RETAIN_MS / 2) await sleep(100);
const memoryHot = await usedMemory(client);
const hotLog = await logLength();

out(
  `${fmt(JOBS)} jobs submitted in bulk and drained at concurrency 50 (noop), Redis ${/redis_version:(\S+)/.exec(await client.info("server"))?.[1]}, retention of completed jobs ${fmt(RETAIN_MS / 1000)} s, segments of 10,000 sealed after at most ${fmt(MAX_AGE_MS / 1000, 1)} s`,
);
out(
  `submits done in ${fmt(submittedMs / 1000, 1)} s; all completed in ${fmt(drainedMs / 1000, 1)} s (${fmt(JOBS / (drainedMs / 1000))} jobs/s), with the archiver running`,
);
out(
  `archiver during the run: ${fmt(sealedDuringRun)} entries sealed, ${fmt(sealedDuringRun / (drainedMs / 1000))} entries/s (${fmt(sealedDuringRun / 3 / (drainedMs / 1000))} jobs/s at 3 events each)`,
);
out("");
out("| moment | used_memory | above before | per job | archiver |");
out("|---|---:|---:|---:|---|");
const row = (moment: string, bytes: number) => {
  const s = archiver.status();
  out(
    `| ${moment} | ${fmt(bytes)} | ${fmt(bytes - memoryBefore)} | ${fmt((bytes - memoryBefore) / JOBS)} | ${s.state}, ${fmt(s.evictionsRecorded)} recorded, ${fmt(s.evicted)} gone${s.lastError === null ? "" : `, last error: ${s.lastError}`} |`,
  );
};
row("an empty Redis, before Docket started", memoryCold);
row(`before the run (Docket at rest after ${fmt(WARM)} warm-up jobs came and went)`, memoryBefore);
row("all completed", memoryDrained);
row(`hot tier: archive caught up (log ${fmt(hotLog)} entries), retention not yet due`, memoryHot);
let reached: number | null = null;
// Every 5 s, and every second from the retention on (when the last jobs become due).
for (
  let at = 5_000;
  at <= RETAIN_MS + 60_000;
  at += at >= RETAIN_MS && at < RETAIN_MS + 15_000 ? 1_000 : 5_000
) {
  await sleep(Math.max(0, lastCompletedAt + at - Date.now()));
  const bytes = await usedMemory(client);
  if (
    at % 10_000 === 0 ||
    (at >= RETAIN_MS && reached === null) ||
    (reached === null && bytes <= memoryBefore * 1.2)
  )
    row(`${fmt(at / 1000)} s after the last completion`, bytes);
  if (reached === null && bytes <= memoryBefore * 1.2) reached = at;
  if (reached !== null && at >= RETAIN_MS + 15_000) break;
}
await archiver.stop();
const status = archiver.status();
// What is left of the run in Redis, by key (MEMORY USAGE, SAMPLES 0).
const left: Array<[string, number]> = [];
let cursor = "0";
do {
  const [next, keys] = await client.scan(cursor, "MATCH", `${PREFIX}:*`, "COUNT", 1000);
  cursor = next;
  for (const key of keys) left.push([key, Number(await client.memory("USAGE", key, "SAMPLES", 0))]);
} while (cursor !== "0");
const fieldsOf = (info: string) =>
  new Map([...info.matchAll(/^(\w+):(\d+)\r?$/gm)].map((m) => [m[1] as string, Number(m[2])]));
const [was, now] = [fieldsOf(memoryInfoBefore), fieldsOf(await client.info("memory"))];
out("");
out("INFO memory, what grew since before the run:");
for (const [name, value] of now)
  if (
    /^(used_memory_(dataset|overhead|scripts|startup)|mem_clients_normal|mem_aof_buffer|used_memory_lua|mem_replication_backlog|number_of_cached_scripts)$/.test(
      name,
    )
  )
    out(`  ${name}: ${fmt(was.get(name) ?? 0)} → ${fmt(value)}`);
// The slow log keeps up to 128 commands' arguments (slowlog-max-len), slow script calls among
// them: bounded, not per job, but a large share of a near-empty Redis.
const slowlogLength = Number(await client.call("SLOWLOG", "LEN"));
const withSlowlog = await usedMemory(client);
await client.call("SLOWLOG", "RESET");
const withoutSlowlog = await usedMemory(client);
out(
  `slow log: ${slowlogLength} entries holding ${fmt(withSlowlog - withoutSlowlog)} bytes; used_memory without them ${fmt(withoutSlowlog)} (${fmt(((withoutSlowlog - memoryBefore) / memoryBefore) * 100, 1)} % above before)`,
);
out(`keys left: ${left.length} (dbsize ${await client.dbsize()})`);
for (const [key, bytes] of left.sort((a, b) => b[1] - a[1]).slice(0, 12))
  out(`  ${key}: ${fmt(bytes)} bytes`);
out("");
out(
  `evictions recorded ${fmt(status.evictionsRecorded - WARM)}, jobs gone from Redis ${fmt(status.evicted - WARM)} (besides the warm-up); within 20 % of before ${reached === null ? "not reached" : `${fmt(reached / 1000)} s after the last completion`}`,
);
const deployment = archiveDirOf(settings.archiveDir, PREFIX);
const bytesOnDisk = Number(execFileSync("du", ["-sb", deployment], { encoding: "utf8" }).split("\t")[0]);
out(`archive on disk: ${fmt(bytesOnDisk)} bytes, ${fmt(bytesOnDisk / JOBS)} per job (uncompressed)`);
const verifyStarted = performance.now();
const report = await verifyArchiveDir(deployment, archivePublicKeyPem(settings));
const verifyS = (performance.now() - verifyStarted) / 1000;
out(
  `offline verification: ${report.ok ? "OK" : `FAILED (${report.findings.length} findings)`}, ${fmt(report.jobs)} jobs, ${fmt(report.entries)} entries in ${fmt(verifyS, 1)} s (${fmt(report.entries / verifyS)} entries/s)`,
);
client.disconnect();
process.exit(report.ok && report.jobs === JOBS + WARM ? 0 : 1);
