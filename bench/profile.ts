/**
 * CPU profile of Docket's hot paths, for finding where the time goes (not part of `npm run bench`).
 *
 *   npx tsx bench/profile.ts            # 20,000 jobs: single submits (50 at a time), bulk
 *                                       # submits, then a burst drain at c=50 of all of them
 *   PROFILE_JOBS=5000 PROFILE_CONCURRENCY=10 npx tsx bench/profile.ts
 *
 * Runs both phases in this process on a private redis-server, profiles each with the inspector,
 * prints throughput, the process's CPU per 1,000 jobs and the top functions by self time, and
 * writes the full profiles to bench/profile-<phase>.cpuprofile (open them in Chrome DevTools).
 * PROFILE_HEAP=1 also samples allocations and prints the top allocating functions per job.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "node:inspector/promises";
import { connect, connectBlocking, whenReady } from "../dist/infra/redis/connection.js";
import { composeArchiver, composeEngine, composeWorker } from "../dist/main.js";
import { startRedis } from "../test/support/redis.ts";

const JOBS = Number(process.env.PROFILE_JOBS ?? 20_000);
const CONCURRENCY = Number(process.env.PROFILE_CONCURRENCY ?? 50);
const CHUNK = 1_000;

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>;
  readonly samples: ReadonlyArray<number>;
  readonly timeDeltas: ReadonlyArray<number>;
}

const summarise = (profile: Profile, top = Number(process.env.PROFILE_TOP ?? 25)): void => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*\/(node_modules\/)?/, "");
    const key = `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, us] of rows)
    process.stdout.write(
      `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}\n`,
    );
};

interface HeapNode {
  readonly callFrame: ProfileNode["callFrame"];
  readonly selfSize: number;
  readonly children: ReadonlyArray<HeapNode>;
}
const HEAP = process.env.PROFILE_HEAP === "1";
/** Sampled allocations by function (self), in bytes per job. */
const summariseHeap = (root: HeapNode, count: number, top = Number(process.env.PROFILE_TOP ?? 25)): void => {
  const self = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || "(anonymous)"} ${url.replace(/^.*\/(node_modules\/)?/, "")}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    node.children.forEach(walk);
  };
  walk(root);
  process.stdout.write(
    `allocated (sampled, collected objects included): ${(total / count).toFixed(0)} B per job\n`,
  );
  for (const [key, bytes] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    process.stdout.write(`  ${(bytes / count).toFixed(0).padStart(6)} B/job  ${key}\n`);
};

const session = new Session();
session.connect();
await session.post("Profiler.enable");

const phase = async (
  name: string,
  ...[a, b]: [() => Promise<void>] | [number, () => Promise<void>]
): Promise<void> => {
  const count = typeof a === "number" ? a : JOBS;
  const work = typeof a === "number" ? (b as () => Promise<void>) : a;
  await client.config("RESETSTAT");
  const redisCpuBefore = await redisCpu();
  await session.post("Profiler.start");
  if (HEAP)
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  const { profile } = await session.post("Profiler.stop");
  const heap = HEAP ? (await session.post("HeapProfiler.stopSampling")).profile : null;
  writeFileSync(new URL(`./profile-${name}.cpuprofile`, import.meta.url), JSON.stringify(profile));
  process.stdout.write(
    `\n## ${name}: ${((count / ms) * 1000).toFixed(0)} jobs/s, ${((user + system) / count).toFixed(0)} ms CPU per 1,000 jobs\n`,
  );
  summarise(profile as unknown as Profile);
  if (heap !== null) summariseHeap((heap as unknown as { head: HeapNode }).head, count);
  await redisStats(count, redisCpuBefore);
};

const redisCpu = async (): Promise<number> => {
  const info = await client.info("cpu");
  return Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
};

/** Where redis-server spent its time in the phase: CPU and commandstats per 1,000 jobs. */
const redisStats = async (count: number, cpuBefore: number): Promise<void> => {
  const cpu = (await redisCpu()) - cpuBefore;
  const info = await client.info("commandstats");
  const rows = [...info.matchAll(/^cmdstat_(\w+(?:\|\w+)?):calls=(\d+),usec=(\d+)/gm)]
    .map(([, name, calls, usec]) => ({ name, calls: Number(calls), usec: Number(usec) }))
    .sort((a, b) => b.usec - a.usec)
    .slice(0, 12);
  process.stdout.write(`redis-server: ${((cpu * 1e6) / count).toFixed(0)} µs CPU per job\n`);
  for (const r of rows)
    process.stdout.write(
      `  ${(r.name ?? "").padEnd(20)} ${((r.calls / count) * 1000).toFixed(0).padStart(7)} calls  ${(r.usec / count).toFixed(1).padStart(7)} µs per job\n`,
    );
};

const redis = await startRedis();
const client = await whenReady(connect({ url: redis.url, commandTimeoutMs: 60_000 }));
const blockingClient = await whenReady(connectBlocking({ url: redis.url }));
try {
  const engine = composeEngine({ client, blockingClient, prefix: "profile", shards: 1 });
  const { jobs } = engine;
  const actor = { kind: "client", id: "profile" } as const;
  await phase("submit-each", async () => {
    for (let from = 0; from < JOBS; from += 50)
      await Promise.all(
        Array.from({ length: Math.min(50, JOBS - from) }, (_, i) =>
          jobs.submit({ type: "noop", payload: { i: from + i } }, actor),
        ),
      );
  });
  await phase("submit", async () => {
    for (let from = 0; from < JOBS; from += CHUNK)
      await jobs.submitMany(
        Array.from({ length: Math.min(CHUNK, JOBS - from) }, (_, i) => ({
          type: "noop",
          payload: { i: from + i },
        })),
        actor,
      );
  });
  await phase("drain", 2 * JOBS, async () => {
    // One claim loop on this process's connections (openWorker would open two pairs).
    const worker = composeWorker([engine], {
      name: "profile",
      queues: ["default"],
      concurrency: CONCURRENCY,
      handlers: { noop: () => null },
      burst: true,
      onError: (error) => console.error(error),
    });
    await worker.run();
    if (worker.info().completed !== 2 * JOBS)
      throw new Error(`completed ${worker.info().completed} of ${2 * JOBS}`);
  });
  // The archiver's pass over what the phases above wrote (3 shard-log entries per drained job):
  // read from Redis, hash, sign, write and fsync, trim. A clock an hour ahead seals the last,
  // partial segment in the same pass.
  const archiveRoot = mkdtempSync(join(tmpdir(), "docket-profile-archive-"));
  try {
    const archiver = composeArchiver(
      { client, prefix: "profile", shards: 1, clock: { now: () => Date.now() + 3_600_000 } },
      {
        archiveDir: join(archiveRoot, "archive"),
        dataDir: archiveRoot,
        segmentEntries: 10_000,
        maxAgeMs: 10,
      },
    );
    const entries = await client.xlen(engine.store.keys.log(0));
    await phase("archive", entries, async () => {
      await archiver.runOnce();
    });
    await archiver.stop();
    process.stdout.write(`(archive phase: per ${entries} shard-log entries, not jobs)\n`);
  } finally {
    rmSync(archiveRoot, { recursive: true, force: true });
  }
} finally {
  client.disconnect();
  blockingClient.disconnect();
  redis.kill();
}
