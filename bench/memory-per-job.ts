/**
 * Redis bytes and commands per finished job (issue 13; ADR 0027). Not a timing benchmark.
 *
 *   npx tsx bench/memory-per-job.ts          # 20,000 jobs; BENCH_JOBS=5000 for a quicker run
 *   HASH_MAX_LISTPACK_VALUE=512 npx tsx bench/memory-per-job.ts   # an operator's Redis setting
 *
 * Starts a private redis-server (test/support/redis.ts), submits N `noop` jobs in bulk (as
 * bench/run.ts does: chunks of 1,000) and drains them with one worker (openWorker, concurrency
 * 50, burst), then prints:
 * - `used_memory` after the drain less before the submits, per job (what `npm run bench`'s memory
 *   row measures);
 * - `MEMORY USAGE … SAMPLES 0` of every key of the run, summed by kind (head, history index,
 *   shard log, work streams, …), per job: where the bytes are;
 * - `INFO commandstats` deltas per job for the submit and the drain: the commands clients send
 *   (script calls counted once) and the commands the scripts run inside them; and redis-server's
 *   CPU time per job in each phase (`INFO cpu`: its own CPU, not wall time, though still noisy
 *   on a shared machine).
 */
import { connect, whenReady } from "../src/infra/redis/connection.ts";
import { composeEngine, openWorker } from "../src/main.ts";
import { startRedis } from "../test/support/redis.ts";
import { submitNoopsInBulk, usedMemory } from "./shared.ts";

const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const PREFIX = "mem";
const actor = { kind: "client", id: "bench" } as const;

const redis = await startRedis();
const client = await whenReady(connect({ url: redis.url, commandTimeoutMs: 120_000 }));
process.on("exit", () => redis.kill());
// A head's `spec` is longer than Redis's default hash-max-listpack-value (64), which makes every
// head a hash table; an operator may raise it (ADR 0027 reports both).
if (process.env.HASH_MAX_LISTPACK_VALUE !== undefined)
  await client.config("SET", "hash-max-listpack-value", process.env.HASH_MAX_LISTPACK_VALUE);

/** CPU time redis-server has used so far (user + system, µs). */
const redisCpuUs = async (): Promise<number> => {
  const info = await client.info("cpu");
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1e6;
};

/** Calls per command name so far (`INFO commandstats`). */
const commandCalls = async (): Promise<Map<string, number>> => {
  const calls = new Map<string, number>();
  for (const match of (await client.info("commandstats")).matchAll(/cmdstat_([^:]+):calls=(\d+)/g))
    calls.set(match[1] as string, Number(match[2]));
  return calls;
};

/** Commands sent by clients (a script call is one) vs commands run inside scripts, per job. */
const perJob = (before: Map<string, number>, after: Map<string, number>) => {
  const rows: Array<[string, number]> = [];
  for (const [name, calls] of after) {
    const delta = calls - (before.get(name) ?? 0);
    if (delta > 0 && !["info", "memory", "scan", "ping", "client", "select"].includes(name))
      rows.push([name, delta / JOBS]);
  }
  return rows.sort((a, b) => b[1] - a[1]);
};

/** The kind of a key of this run: the part after the shard tag, less ids. */
const kindOf = (key: string): string => {
  const rest = key.replace(/^[^}]*\}:/, "");
  if (rest.startsWith("job:")) return "head (job:<id>)";
  if (rest.startsWith("history:")) return "history (history:<id>)";
  if (rest.startsWith("idem:")) return "idempotency key";
  if (rest.startsWith("work:")) return "work streams";
  return rest;
};

const memoryByKind = async (): Promise<Map<string, { keys: number; bytes: number }>> => {
  const byKind = new Map<string, { keys: number; bytes: number }>();
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${PREFIX}:*`, "COUNT", 1000);
    cursor = next;
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.memory("USAGE", key, "SAMPLES", 0);
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const bytes = Number(replies[i]?.[1] ?? 0);
      const entry = byKind.get(kindOf(key)) ?? { keys: 0, bytes: 0 };
      byKind.set(kindOf(key), { keys: entry.keys + 1, bytes: entry.bytes + bytes });
    });
  } while (cursor !== "0");
  return byKind;
};

const { jobs } = composeEngine({ client, prefix: PREFIX, shards: 1 });
const memoryBefore = await usedMemory(client);
const beforeSubmit = await commandCalls();
const cpuBeforeSubmit = await redisCpuUs();
await submitNoopsInBulk(jobs, JOBS, actor);
const cpuAfterSubmit = await redisCpuUs();
const afterSubmit = await commandCalls();
const { worker, close } = await openWorker(
  { redisUrl: redis.url, prefix: PREFIX, shards: 1, leaseMs: 30_000 },
  { name: "memory", queues: ["default"], concurrency: 50, handlers: { noop: () => null }, burst: true },
);
await worker.run();
await worker.stop();
await close();
const cpuAfterDrain = await redisCpuUs();
const afterDrain = await commandCalls();
const { completed } = worker.info();
if (completed !== JOBS) throw new Error(`${completed} of ${JOBS} jobs completed`);
const memoryAfter = await usedMemory(client);

const out = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
out(
  `${fmt(JOBS)} jobs submitted in bulk and drained (noop, payload {i}), Redis ${/redis_version:(\S+)/.exec(await client.info("server"))?.[1]}`,
);
out(`used_memory per finished job: ${fmt((memoryAfter - memoryBefore) / JOBS)} bytes`);
out("");
out("| keys (MEMORY USAGE, SAMPLES 0) | keys | bytes per job |");
out("|---|---:|---:|");
let total = 0;
for (const [kind, { keys, bytes }] of [...(await memoryByKind())].sort((a, b) => b[1].bytes - a[1].bytes)) {
  total += bytes;
  out(`| ${kind} | ${fmt(keys)} | ${fmt(bytes / JOBS)} |`);
}
out(`| all keys | | ${fmt(total / JOBS)} |`);
for (const [phase, before, after, cpuUs] of [
  ["submit (bulk)", beforeSubmit, afterSubmit, cpuAfterSubmit - cpuBeforeSubmit],
  ["drain (c=50)", afterSubmit, afterDrain, cpuAfterDrain - cpuAfterSubmit],
] as const) {
  out("");
  out(`${phase}: redis-server CPU ${fmt(cpuUs / JOBS, 1)} µs per job`);
  out(`Commands per job, ${phase} (INFO commandstats; commands scripts run are counted too):`);
  out(
    perJob(before, after)
      .map(([name, calls]) => `${name} ${fmt(calls, 2)}`)
      .join(", "),
  );
}
client.disconnect();
await redis.stop();
