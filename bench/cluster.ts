/**
 * What durability and Redis Cluster cost (`npm run bench:cluster`; issue 17, ADR 0047).
 *
 * Part 1, one Redis: bulk submit and drain (concurrency 50) under DOCKET_DURABILITY=async,
 * replicated (a real replica attached) and fsync (appendfsync always).
 * Part 2, a local Redis Cluster (3 masters + 3 replicas, test/support/cluster.ts): the same with
 * DOCKET_SHARDS=1 and 3, async and replicated, plus each master's Redis CPU per job (INFO's
 * used_cpu_user + used_cpu_sys, before and after). This machine has 2 cores for 6 Redis nodes,
 * the submitter and the worker: the figures are about correctness and overhead, not scale.
 *
 * BENCH_JOBS overrides the 10,000 jobs per row. Prints a table; bench/RESULTS.md keeps a copy.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { type Durability, durabilityOf } from "../src/infra/redis/durability.ts";
import { connect, whenReady } from "../src/infra/redis/connection.ts";
import { composeEngine } from "../src/main.ts";
import { startCluster } from "../test/support/cluster.ts";
import { startRedis } from "../test/support/redis.ts";
import { spawnWorker, submitNoopsInBulk } from "./shared.ts";

const JOBS = Number(process.env.BENCH_JOBS ?? 10_000);
const CONCURRENCY = 50;
const actor = { kind: "client", id: "bench" } as const;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** CPU seconds (user + sys) a redis-server has used, from INFO. */
const redisCpu = async (port: number): Promise<number> => {
  const client = new Redis({ port, host: "127.0.0.1" });
  try {
    const info = await client.info("cpu");
    const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
    return field("used_cpu_user") + field("used_cpu_sys");
  } finally {
    client.disconnect();
  }
};

interface Row {
  readonly setup: string;
  readonly submitPerS: number;
  readonly drainPerS: number;
  /** Redis CPU µs per job (submit + drain), per master measured. */
  readonly redisCpuUsPerJob: ReadonlyArray<number>;
}

const measure = async (
  setup: string,
  url: string,
  shards: number,
  durability: string,
  masterPorts: ReadonlyArray<number>,
): Promise<Row> => {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const client = await whenReady(connect({ url, commandTimeoutMs: 120_000 }));
  const engine = composeEngine({
    client,
    prefix,
    shards,
    durability: durabilityOf(durability) as Durability,
  });
  const cpuBefore = await Promise.all(masterPorts.map(redisCpu));
  const submitStart = performance.now();
  await submitNoopsInBulk(engine.jobs, JOBS, actor);
  const submitMs = performance.now() - submitStart;
  const worker = spawnWorker("docket-worker.ts", {
    url,
    prefix,
    concurrency: CONCURRENCY,
    target: JOBS,
    burst: true,
    shards,
    durability,
  });
  await worker.ready;
  const done = await worker.done;
  const cpuAfter = await Promise.all(masterPorts.map(redisCpu));
  client.disconnect();
  if (done.completed !== JOBS) log(`${setup}: the worker completed ${done.completed} of ${JOBS}`);
  const row = {
    setup,
    submitPerS: (JOBS / submitMs) * 1000,
    drainPerS: (done.completed / done.elapsedMs) * 1000,
    redisCpuUsPerJob: cpuAfter.map((after, i) => ((after - (cpuBefore[i] ?? 0)) * 1e6) / JOBS),
  };
  log(`${setup}: submit ${row.submitPerS.toFixed(0)}/s, drain ${row.drainPerS.toFixed(0)}/s`);
  return row;
};

const rows: Array<Row> = [];
const portOf = (url: string) => Number(new URL(url).port);

// ---- Part 1: one Redis ------------------------------------------------------------------------
{
  const primary = await startRedis({ own: true });
  const replica = await startRedis({ replicaOf: primary.url });
  await new Promise((r) => setTimeout(r, 1_000));
  rows.push(await measure("one Redis, async", primary.url, 1, "async", [portOf(primary.url)]));
  rows.push(
    await measure("one Redis + replica, replicated", primary.url, 1, "replicated", [portOf(primary.url)]),
  );
  await replica.stop();
  await primary.stop();
  const aof = await startRedis({ own: true, appendOnly: true });
  rows.push(await measure("one Redis, fsync (appendfsync always)", aof.url, 1, "fsync", [portOf(aof.url)]));
  await aof.stop();
}

// ---- Part 2: a local cluster --------------------------------------------------------------------
{
  const cluster = await startCluster();
  const url = `redis-cluster://${cluster.seeds}`;
  const masters = (await cluster.masters()).map((m) => m.port);
  for (const shards of [1, 3])
    for (const durability of ["async", "replicated"])
      rows.push(
        await measure(
          `cluster, ${shards} shard${shards > 1 ? "s" : ""}, ${durability}`,
          url,
          shards,
          durability,
          masters,
        ),
      );
  await cluster.stop();
}

const us = (values: ReadonlyArray<number>) => values.map((v) => v.toFixed(0)).join(" / ");
const table = [
  `${JOBS.toLocaleString("en")} jobs per row, worker concurrency ${CONCURRENCY}, one worker process`,
  "",
  "| setup | bulk submit (jobs/s) | drain (jobs/s) | Redis CPU per job, per master (µs) |",
  "|---|---:|---:|---|",
  ...rows.map(
    (r) =>
      `| ${r.setup} | ${r.submitPerS.toFixed(0)} | ${r.drainPerS.toFixed(0)} | ${us(r.redisCpuUsPerJob)} |`,
  ),
].join("\n");
console.log(table);
process.exit(0);
