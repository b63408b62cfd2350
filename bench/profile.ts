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
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { JobService } from "../src/engine/job-service.ts";
import { systemClock } from "../src/engine/ports.ts";
import { Worker } from "../src/engine/worker.ts";
import { connect, connectBlocking, whenReady } from "../src/infra/redis/connection.ts";
import { RedisEventStore } from "../src/infra/redis/redis-event-store.ts";
import { RedisWorkerRegistry } from "../src/infra/redis/redis-worker-registry.ts";
import { RedisWorkQueue } from "../src/infra/redis/redis-work-queue.ts";
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

const summarise = (profile: Profile, top = 25): void => {
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
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  const { profile } = await session.post("Profiler.stop");
  writeFileSync(new URL(`./profile-${name}.cpuprofile`, import.meta.url), JSON.stringify(profile));
  process.stdout.write(
    `\n## ${name}: ${((count / ms) * 1000).toFixed(0)} jobs/s, ${((user + system) / count).toFixed(0)} ms CPU per 1,000 jobs\n`,
  );
  summarise(profile as unknown as Profile);
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
  const on = { client, prefix: "profile", shards: 1 };
  const store = new RedisEventStore(on);
  const queue = new RedisWorkQueue({ ...on, blockingClient });
  const registry = new RedisWorkerRegistry(on);
  const jobs = new JobService({ store, queue, clock: systemClock, shards: 1 });
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
    const worker = new Worker({
      name: "profile",
      queues: ["default"],
      concurrency: CONCURRENCY,
      handlers: { noop: () => null },
      store,
      queue,
      registry,
      clock: systemClock,
      burst: true,
      onError: (error) => console.error(error),
    });
    await worker.run();
    if (worker.info().completed !== 2 * JOBS)
      throw new Error(`completed ${worker.info().completed} of ${2 * JOBS}`);
  });
} finally {
  client.disconnect();
  blockingClient.disconnect();
  redis.kill();
}
