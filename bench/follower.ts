/**
 * The dependency follower's pass (`npm run bench:follower`, ADR 0042): BENCH_WAITING jobs
 * (default 10,000) wait, either all on one dependency (fan-in) or each on its own, none of which
 * ends; then five passes of one follower are timed, wall and CPU of this process, and Redis' CPU
 * over them. The first pass reads every waiting job's head; the later ones are the steady state
 * every `docket api`, `start` and `worker` process pays every 200 ms. Private redis-server (or
 * REDIS_URL). Figures only; ADR 0042 and bench/RESULTS.md quote them.
 */
import { DependencyFollower } from "../src/engine/flows/index.ts";
import { systemClock } from "../src/engine/shared/index.ts";
import { RedisDependencyLinks } from "../src/infra/redis/redis-dependency-links.ts";
import { makeEngine } from "../test/support/engine.ts";
import { startRedis } from "../test/support/redis.ts";

const WAITING = Number(process.env.BENCH_WAITING ?? 10_000);
const actor = { kind: "client", id: "bench" } as const;
const out = (line: string) => process.stdout.write(`${line}\n`);

const redisCpuMs = async (client: { info(section: string): Promise<string> }): Promise<number> => {
  const info = await client.info("cpu");
  const field = (name: string) => Number(info.match(new RegExp(`${name}:([\\d.]+)`))?.[1] ?? 0);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1000;
};

const redis = await startRedis();
try {
  for (const shape of ["one dependency (fan-in)", "a dependency each"] as const) {
    const engine = await makeEngine(redis.url, { shards: 1 });
    const dependencies = shape === "a dependency each" ? WAITING : 1;
    const ids: Array<string> = [];
    for (let i = 0; i < dependencies; i += 1_000) {
      const batch = Array.from({ length: Math.min(1_000, dependencies - i) }, () => ({
        type: "x",
        queue: "idle",
      }));
      for (const r of await engine.jobs.submitMany(batch, actor)) ids.push((r as { jobId: string }).jobId);
    }
    for (let i = 0; i < WAITING; i += 1_000) {
      const batch = Array.from({ length: Math.min(1_000, WAITING - i) }, (_, j) => ({
        type: "y",
        queue: "idle",
        dependsOn: [ids[(i + j) % ids.length] as string],
      }));
      await engine.jobs.submitMany(batch, actor);
    }
    const follower = new DependencyFollower({
      store: engine.store,
      links: new RedisDependencyLinks(engine.client, engine.store.keys),
      clock: systemClock,
      id: "bench",
    });
    const rows: Array<string> = [];
    for (let pass = 1; pass <= 5; pass++) {
      const redisBefore = await redisCpuMs(engine.client);
      const cpu = process.cpuUsage();
      const began = performance.now();
      await follower.pass();
      const wall = performance.now() - began;
      const used = process.cpuUsage(cpu);
      const redisMs = (await redisCpuMs(engine.client)) - redisBefore;
      rows.push(
        `pass ${pass}: ${wall.toFixed(1)} ms wall, ${((used.user + used.system) / 1000).toFixed(1)} ms CPU here, ${redisMs.toFixed(1)} ms Redis CPU`,
      );
    }
    out(`${WAITING} waiting jobs, ${shape}:`);
    for (const row of rows) out(`  ${row}`);
    await engine.close();
  }
} finally {
  await redis.stop();
}
