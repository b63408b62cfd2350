/**
 * Docket vs BullMQ on the same Redis (`npm run bench`; what each row means: bench/README.md).
 *
 * Starts a private redis-server (or uses REDIS_URL), runs every scenario for Docket and then
 * for BullMQ on a fresh key prefix (FLUSHALL in between when the server is ours), prints one
 * table and writes it to bench/RESULTS.md. Workers run in their own processes
 * (docket-worker.ts, bullmq-worker.ts); submitting and measuring happen here.
 *
 * BENCH_JOBS overrides the 20,000 jobs per scenario (for a quick smoke run); BENCH_ONLY picks
 * scenarios by number (e.g. `BENCH_ONLY=3,5`) and then prints the table without writing RESULTS.md.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, platform, release, tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { type Envelope, statusOf } from "../dist/domain/index.js";
import type { JobService } from "../dist/engine/write/index.js";
import { connect, whenReady } from "../dist/infra/redis/connection.js";
import { DEFAULT_RETENTION } from "../dist/engine/archive/index.js";
import { archivedLogOf, ArchiverThread, composeArchiver, composeEngine, type Engine } from "../dist/main.js";
import { startCluster } from "../test/support/cluster.ts";
import { startRedis } from "../test/support/redis.ts";
import {
  BULLMQ_QUEUE,
  bullConnection,
  chunksOf,
  cpuMsSince,
  type Done,
  percentile,
  sleep,
  spawnWorker,
  type WorkerConfig,
  type WorkerProcess,
} from "./shared.ts";

const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const CHUNK = 1_000;
const DRAIN_CONCURRENCIES = [1, 10, 50] as const;
const E2E_CONCURRENCY = 50;
const PACED_RATE = 2_000;
const WARMUP_JOBS = Math.min(2_000, JOBS);
const ONLY = process.env.BENCH_ONLY?.split(",").map((s) => s.trim());
const selected = (scenario: string) => ONLY === undefined || ONLY.includes(scenario);

const actor = { kind: "client", id: "bench" } as const;
const docketSpec = (i: number) => ({ type: "noop", payload: { i } });
const bullJob = (i: number) => ({ name: "noop", data: { i } });

const log = (line: string) => process.stderr.write(`${line}\n`);
const rate = (jobs: number, ms: number) => (jobs / ms) * 1000;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const timed = async (work: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

// ---- Redis ----------------------------------------------------------------------------------

const redis = await startRedis();
const admin = await whenReady(connect({ url: redis.url, commandTimeoutMs: 120_000 }));
const usedPrefixes: Array<string> = [];
const children = new Set<WorkerProcess>();
// Even if the run dies on an unhandled error, leave no worker process or redis-server behind.
process.on("exit", () => {
  for (const child of children) child.kill();
  redis.kill();
});

const freshPrefix = (system: "docket" | "bull", scenario: string) => {
  const prefix = `bench-${system}-${scenario}-${randomUUID().slice(0, 8)}`;
  usedPrefixes.push(prefix);
  return prefix;
};

/** Empty Redis between scenarios: FLUSHALL on our own server, our prefixes' keys otherwise. */
const reset = async (): Promise<void> => {
  if (redis.owned) {
    await admin.flushall();
    return;
  }
  for (const prefix of usedPrefixes.splice(0)) {
    let cursor = "0";
    do {
      const [next, keys] = await admin.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await admin.unlink(...keys);
    } while (cursor !== "0");
  }
};

/** Bytes redis-server has allocated (`used_memory`). */
const redisMemory = async (): Promise<number> =>
  Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1] ?? 0);

/** CPU time redis-server has used so far (user + system, ms; all its threads). */
const redisCpuMs = async (): Promise<number> => {
  const info = await admin.info("cpu");
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1000;
};

interface Measured {
  readonly ms: number;
  /** CPU used by this (the submitting) process. */
  readonly clientCpuMs: number;
  readonly redisCpuMs: number;
}

const measured = async (work: () => Promise<unknown>): Promise<Measured> => {
  const redisBefore = await redisCpuMs();
  const cpu = process.cpuUsage();
  const ms = await timed(work);
  const clientCpuMs = cpuMsSince(cpu);
  return { ms, clientCpuMs, redisCpuMs: (await redisCpuMs()) - redisBefore };
};

const worker = (script: "docket-worker.ts" | "bullmq-worker.ts", config: WorkerConfig): WorkerProcess => {
  const child = spawnWorker(script, config);
  children.add(child);
  void child.done.finally(() => children.delete(child)).catch(() => {});
  return child;
};

const checkWorker = (who: string, done: Done) => {
  if (done.completed < JOBS || done.failed > 0)
    throw new Error(
      `${who}: ${done.completed} completed, ${done.failed} failed (expected ${JOBS} completed)`,
    );
  if (done.errors > 0) log(`  ${who}: the worker reported ${done.errors} errors (see above)`);
};

/** Where the hand-written notes of RESULTS.md begin (the benchmark diary); a run keeps them. */
const NOTES_MARKER = "<!-- notes: written by hand below this line;";

/** The notes below NOTES_MARKER in the current RESULTS.md, as lines ([] when there are none). */
const handWrittenNotes = (file: URL): Array<string> => {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const at = text.indexOf(NOTES_MARKER);
  return at === -1 ? [] : text.slice(at).replace(/\n+$/, "").split("\n").concat("");
};

// ---- Docket ---------------------------------------------------------------------------------

interface DocketEnv {
  readonly prefix: string;
  readonly store: Engine["store"];
  readonly jobs: JobService;
  close(): Promise<void>;
}

/**
 * Docket as it runs by default: an archiver beside the submitter (as in `docket api`: in a
 * thread of its own), sealing the log into signed segments, trimming Redis and applying the
 * default retention (ADR 0028, 0034, 0044), on its own connection. BENCH_ARCHIVER=off leaves it
 * out, BENCH_ARCHIVER=inline runs it on the submitter's event loop (for A/Bs).
 */
const ARCHIVER = process.env.BENCH_ARCHIVER !== "off";
const INLINE = process.env.BENCH_ARCHIVER === "inline";
const ARCHIVER_SAID = !ARCHIVER
  ? "Docket without an archiver (BENCH_ARCHIVER=off)"
  : INLINE
    ? "Docket with an archiver on the submitter's event loop (BENCH_ARCHIVER=inline; sealing, signing, trimming Redis; default retention)"
    : "Docket with its archiver in a thread of the submitter's process, as docket api runs it (sealing, signing, trimming Redis; default retention)";
const archiveRoot = mkdtempSync(join(tmpdir(), "docket-bench-archive-"));
process.on("exit", () => rmSync(archiveRoot, { recursive: true, force: true }));

/** Where a scenario runs: the run's Redis (one shard), or row 6's cluster. */
interface Target {
  readonly url: string;
  readonly shards: number;
}

const docketEnv = async (
  scenario: string,
  target: Target = { url: redis.url, shards: 1 },
): Promise<DocketEnv> => {
  const prefix = freshPrefix("docket", scenario);
  const { url, shards } = target;
  const client = await whenReady(connect({ url }));
  if (!ARCHIVER) {
    const { store, jobs } = composeEngine({ client, prefix, shards });
    return { prefix, store, jobs, close: async () => client.disconnect() };
  }
  // As `docket api` is composed: its readers find what the archiver trimmed in the archive.
  const archiveAccess = { archiveDir: join(archiveRoot, "archive"), dataDir: archiveRoot };
  const { store, jobs } = composeEngine({
    client,
    prefix,
    shards,
    archive: archivedLogOf(archiveAccess, prefix),
  });
  const settings = {
    ...archiveAccess,
    segmentEntries: 10_000,
    maxAgeMs: 60_000,
    retention: DEFAULT_RETENTION,
  };
  // In a thread of its own on its own connection, as `docket api` runs it (ADR 0044);
  // BENCH_ARCHIVER=inline runs it on this process's event loop instead (for an A/B).
  const archiverClient = INLINE ? await whenReady(connect({ url })) : null;
  const archiver =
    archiverClient === null
      ? new ArchiverThread({ redisUrl: url, prefix, shards }, settings)
      : composeArchiver({ client: archiverClient, prefix, shards }, settings);
  archiver.start();
  // Started and holding the lease before the row begins (a thread takes ~0.7 s to load).
  while (archiver.status().state !== "active") await sleep(10);
  return {
    prefix,
    store,
    jobs,
    close: async () => {
      await archiver.stop();
      archiverClient?.disconnect();
      client.disconnect();
    },
  };
};

const docketSubmitOne = async (env: DocketEnv, i: number): Promise<string> =>
  (await env.jobs.submit(docketSpec(i), actor)).jobId;

const docketSubmitBulk = async (env: DocketEnv, from: number, count: number): Promise<Array<string>> => {
  const results = await env.jobs.submitMany(
    range(count).map((i) => docketSpec(from + i)),
    actor,
  );
  return results.map((r) => {
    if (!("created" in r)) throw new Error(`Docket submitMany refused a job: ${String(r)}`);
    return r.jobId;
  });
};

const docketSubmitAllBulk = async (env: DocketEnv): Promise<Array<string>> => {
  const ids: Array<string> = [];
  for (let from = 0; from < JOBS; from += CHUNK)
    ids.push(...(await docketSubmitBulk(env, from, Math.min(CHUNK, JOBS - from))));
  return ids;
};

const docketCompletedCount = async (env: DocketEnv, ids: ReadonlyArray<string>): Promise<number> => {
  let completed = 0;
  for (const chunk of chunksOf(ids, CHUNK))
    for (const head of await env.store.loadHeads(chunk))
      if (head !== null && statusOf(head.state) === "completed") completed += 1;
  return completed;
};

/** Submit and completion times (epoch ms) from each job's JobSubmitted and JobCompleted events. */
const docketTimes = async (env: DocketEnv, ids: ReadonlyArray<string>): Promise<Array<JobTimes>> => {
  const times: Array<JobTimes> = [];
  const at = (events: ReadonlyArray<Envelope>, type: Envelope["type"]) => {
    const event = events.find((e) => e.type === type);
    if (event === undefined) throw new Error(`a Docket job has no ${type} event`);
    return Date.parse(event.at);
  };
  for (const chunk of chunksOf(ids, CHUNK)) {
    const histories = await Promise.all(chunk.map((id) => env.store.readEvents(id)));
    for (const events of histories)
      times.push([at(events, "JobSubmitted"), at(events, "JobCompleted"), times.length]);
  }
  return times;
};

// ---- BullMQ ---------------------------------------------------------------------------------

interface BullEnv {
  readonly prefix: string;
  readonly queue: Queue;
  close(): Promise<void>;
}

const bullEnv = async (scenario: string, url = redis.url): Promise<BullEnv> => {
  // On a cluster BullMQ's prefix must be a hash tag: the whole queue in one slot.
  const prefix = url === redis.url ? freshPrefix("bull", scenario) : `{${freshPrefix("bull", scenario)}}`;
  const queue = new Queue(BULLMQ_QUEUE, {
    connection: bullConnection(url),
    prefix,
    defaultJobOptions: { removeOnComplete: false },
  });
  await queue.waitUntilReady();
  return { prefix, queue, close: () => queue.close() };
};

const bullSubmitAllBulk = async (env: BullEnv): Promise<void> => {
  for (let from = 0; from < JOBS; from += CHUNK)
    await env.queue.addBulk(range(Math.min(CHUNK, JOBS - from)).map((i) => bullJob(from + i)));
};

const bullCompletedCount = async (env: BullEnv): Promise<number> =>
  (await env.queue.getJobCounts("completed"))["completed"] ?? 0;

/** Submit and completion times (epoch ms): each completed job's `timestamp` and `finishedOn`. */
const bullTimes = async (env: BullEnv): Promise<Array<JobTimes>> => {
  const times: Array<JobTimes> = [];
  for (let start = 0; ; start += CHUNK) {
    const jobs = await env.queue.getJobs(["completed"], start, start + CHUNK - 1, true);
    for (const job of jobs) {
      if (job.finishedOn === undefined) throw new Error(`BullMQ job ${job.id} has no finishedOn`);
      times.push([job.timestamp, job.finishedOn, (job.data as { i: number }).i]);
    }
    if (jobs.length < CHUNK) return times;
  }
};

// ---- Scenarios ------------------------------------------------------------------------------

interface EndToEnd {
  readonly throughput: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** How fast the jobs were actually submitted. */
  readonly submitRate: number;
}

/**
 * A job's submit time (the client's clock when the submit began), completion time, and its
 * number `i` in the run.
 */
type JobTimes = [submitted: number, completed: number, i: number];

/**
 * Throughput and latencies. With `scheduledAt` (row 5), a job's latency runs from when its
 * submit was scheduled, not from when it began: a submitter held up (its event loop busy, or
 * behind) delays the jobs it should have sent, and that delay is the clients' too. Measuring
 * from the submit's own clock reading would leave it out (coordinated omission).
 */
const endToEnd = (
  times: ReadonlyArray<JobTimes>,
  submitMs: number,
  scheduledAt?: (i: number) => number,
): EndToEnd => {
  if (times.length !== JOBS) throw new Error(`expected ${JOBS} completed jobs, found ${times.length}`);
  const latencies = times
    .map(([s, c, i]) => c - (scheduledAt === undefined ? s : Math.min(s, scheduledAt(i))))
    .sort((a, b) => a - b);
  const first = Math.min(...times.map(([s]) => s));
  const last = Math.max(...times.map(([, c]) => c));
  return {
    throughput: rate(JOBS, last - first),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    submitRate: rate(JOBS, submitMs),
  };
};

/**
 * Start `submitOne(i)` for i = 0..JOBS-1 on a steady schedule of `perSecond`, without waiting
 * for one to finish before starting the next. If the submitter falls behind (its own CPU), it
 * starts at most PACE_BURST per tick and keeps at most PACE_IN_FLIGHT open, so it never stalls
 * its own event loop for long; the achieved rate is reported next to the figures.
 */
const PACE_BURST = 50;
const PACE_IN_FLIGHT = 1_000;
const paced = async (
  perSecond: number,
  submitOne: (i: number) => Promise<unknown>,
): Promise<{ ms: number; scheduledAt: (i: number) => number }> => {
  const epoch = Date.now();
  const ms = await timed(async () => {
    const started = performance.now();
    const all: Array<Promise<unknown>> = [];
    const failures: Array<unknown> = [];
    let open = 0;
    let next = 0;
    while (next < JOBS) {
      const due = Math.min(JOBS, Math.floor(((performance.now() - started) * perSecond) / 1000) + 1);
      for (let burst = 0; next < due && burst < PACE_BURST && open < PACE_IN_FLIGHT; burst++) {
        open += 1;
        all.push(
          submitOne(next++)
            .catch((error: unknown) => failures.push(error))
            .finally(() => (open -= 1)),
        );
      }
      await sleep(1);
    }
    await Promise.all(all);
    if (failures.length > 0)
      throw new Error(`${failures.length} paced submits failed; the first: ${String(failures[0])}`);
  });
  // Job i was due at i/perSecond after the start (the loop starts job 0 at once).
  return { ms, scheduledAt: (i) => epoch + (i * 1000) / perSecond };
};

const warmUp = async () => {
  const d = await docketEnv("warmup");
  for (let i = 0; i < WARMUP_JOBS / 2; i++) await docketSubmitOne(d, i);
  await docketSubmitBulk(d, 0, WARMUP_JOBS / 2);
  await d.close();
  const b = await bullEnv("warmup");
  for (let i = 0; i < WARMUP_JOBS / 2; i++) await b.queue.add("noop", { i });
  await b.queue.addBulk(range(WARMUP_JOBS / 2).map(bullJob));
  await b.close();
  await reset();
};

const submitSequential = async () => {
  const d = await docketEnv("seq");
  const docket = await measured(async () => {
    for (let i = 0; i < JOBS; i++) await docketSubmitOne(d, i);
  });
  await d.close();
  await reset();
  const b = await bullEnv("seq");
  const bull = await measured(async () => {
    for (let i = 0; i < JOBS; i++) await b.queue.add("noop", { i });
  });
  await b.close();
  await reset();
  return { docket, bullmq: bull };
};

const submitBulk = async () => {
  const d = await docketEnv("bulk");
  const docket = await measured(() => docketSubmitAllBulk(d));
  await d.close();
  await reset();
  const b = await bullEnv("bulk");
  const bull = await measured(() => bullSubmitAllBulk(b));
  await b.close();
  await reset();
  return { docket, bullmq: bull };
};

const drain = async (concurrency: number) => {
  // Memory held per job once all are completed and kept (both systems keep completed jobs).
  const docketMemoryBefore = await redisMemory();
  const d = await docketEnv(`drain${concurrency}`);
  const ids = await docketSubmitAllBulk(d);
  const docketRedisBefore = await redisCpuMs();
  const docket = await worker("docket-worker.ts", {
    url: redis.url,
    prefix: d.prefix,
    concurrency,
    target: JOBS,
    burst: true,
  }).done;
  const docketRedisCpuMs = (await redisCpuMs()) - docketRedisBefore;
  checkWorker("Docket", docket);
  const docketCompleted = await docketCompletedCount(d, ids);
  if (docketCompleted !== JOBS) throw new Error(`Docket: ${docketCompleted} of ${JOBS} jobs completed`);
  const docketBytes = (await redisMemory()) - docketMemoryBefore;
  await d.close();
  await reset();

  const bullMemoryBefore = await redisMemory();
  const b = await bullEnv(`drain${concurrency}`);
  await bullSubmitAllBulk(b);
  const bullRedisBefore = await redisCpuMs();
  const bull = await worker("bullmq-worker.ts", {
    url: redis.url,
    prefix: b.prefix,
    concurrency,
    target: JOBS,
    burst: false,
  }).done;
  const bullRedisCpuMs = (await redisCpuMs()) - bullRedisBefore;
  checkWorker("BullMQ", bull);
  const bullCompleted = await bullCompletedCount(b);
  if (bullCompleted !== JOBS) throw new Error(`BullMQ: ${bullCompleted} of ${JOBS} jobs completed`);
  const bullBytes = (await redisMemory()) - bullMemoryBefore;
  await b.close();
  await reset();
  return {
    docket: { ms: docket.elapsedMs, clientCpuMs: docket.cpuMs, redisCpuMs: docketRedisCpuMs },
    bullmq: { ms: bull.elapsedMs, clientCpuMs: bull.cpuMs, redisCpuMs: bullRedisCpuMs },
    bytesPerJob: { docket: docketBytes / JOBS, bullmq: bullBytes / JOBS },
  };
};

const scheduleOf = (submit: { ms: number } | { ms: number; scheduledAt: (i: number) => number }) =>
  "scheduledAt" in submit ? submit.scheduledAt : undefined;

/** One worker process at concurrency 50 runs the jobs while this process submits them. */
const e2e = async (mode: "bulk" | "paced") => {
  const d = await docketEnv(`e2e-${mode}`);
  const dWorker = worker("docket-worker.ts", {
    url: redis.url,
    prefix: d.prefix,
    concurrency: E2E_CONCURRENCY,
    target: JOBS,
    burst: false,
  });
  await dWorker.ready;
  let ids: Array<string> = new Array(JOBS);
  const dSubmit =
    mode === "bulk"
      ? { ms: await timed(async () => (ids = await docketSubmitAllBulk(d))) }
      : await paced(PACED_RATE, async (i) => (ids[i] = await docketSubmitOne(d, i)));
  checkWorker("Docket", await dWorker.done);
  const docket = endToEnd(await docketTimes(d, ids), dSubmit.ms, scheduleOf(dSubmit));
  await d.close();
  await reset();

  const b = await bullEnv(`e2e-${mode}`);
  const bWorker = worker("bullmq-worker.ts", {
    url: redis.url,
    prefix: b.prefix,
    concurrency: E2E_CONCURRENCY,
    target: JOBS,
    burst: false,
  });
  await bWorker.ready;
  const bSubmit =
    mode === "bulk"
      ? { ms: await timed(() => bullSubmitAllBulk(b)) }
      : await paced(PACED_RATE, (i) => b.queue.add("noop", { i }));
  checkWorker("BullMQ", await bWorker.done);
  const bullmq = endToEnd(await bullTimes(b), bSubmit.ms, scheduleOf(bSubmit));
  await b.close();
  await reset();
  return { docket, bullmq };
};

/**
 * Row 6: the drain of row 3 (c=50) on a local Redis Cluster of 3 masters + 3 replicas on this
 * machine: Docket with 3 shards (one per master) against BullMQ, whose queue is one slot, so one
 * master. This machine has 2 cores for six redis-servers, the worker and this process: the
 * figure is about working on a cluster and its overhead, not about scale (ADR 0047).
 */
const CLUSTER_CONCURRENCY = 50;
const drainOnCluster = async () => {
  const cluster = await startCluster();
  try {
    const url = `redis-cluster://${cluster.seeds}`;
    const d = await docketEnv("cluster", { url, shards: 3 });
    const ids = await docketSubmitAllBulk(d);
    const docket = await worker("docket-worker.ts", {
      url,
      prefix: d.prefix,
      concurrency: CLUSTER_CONCURRENCY,
      target: JOBS,
      burst: true,
      shards: 3,
    }).done;
    checkWorker("Docket", docket);
    const docketCompleted = await docketCompletedCount(d, ids);
    if (docketCompleted !== JOBS) throw new Error(`Docket: ${docketCompleted} of ${JOBS} jobs completed`);
    await d.close();

    const b = await bullEnv("cluster", url);
    await bullSubmitAllBulk(b);
    const bull = await worker("bullmq-worker.ts", {
      url,
      prefix: b.prefix,
      concurrency: CLUSTER_CONCURRENCY,
      target: JOBS,
      burst: false,
    }).done;
    checkWorker("BullMQ", bull);
    const bullCompleted = await bullCompletedCount(b);
    if (bullCompleted !== JOBS) throw new Error(`BullMQ: ${bullCompleted} of ${JOBS} jobs completed`);
    await b.close();
    return { docket: rate(JOBS, docket.elapsedMs), bullmq: rate(JOBS, bull.elapsedMs) };
  } finally {
    await cluster.stop();
  }
};

// ---- Report ---------------------------------------------------------------------------------

interface Row {
  readonly label: string;
  readonly docket: number;
  readonly bullmq: number;
  readonly better: "higher" | "lower";
}

const fmt = (n: number) =>
  Number.isFinite(n)
    ? n >= 100
      ? Math.round(n).toLocaleString("en-US")
      : n.toLocaleString("en-US", { maximumFractionDigits: 1 })
    : String(n);

const table = (rows: ReadonlyArray<Row>): string => {
  const cells = [
    ["Scenario", "Docket", "BullMQ", "Docket/BullMQ"],
    ...rows.map((r) => [
      r.label,
      fmt(r.docket),
      fmt(r.bullmq),
      `${(r.docket / r.bullmq).toFixed(2)} (${r.better} is better)`,
    ]),
  ];
  const widths = cells[0]?.map((_, c) => Math.max(...cells.map((row) => (row[c] ?? "").length))) ?? [];
  const line = (row: ReadonlyArray<string>) =>
    `| ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join(" | ")} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  const [header, ...body] = cells;
  return [line(header ?? []), rule, ...body.map(line)].join("\n");
};

const e2eRows = (title: string, r: { docket: EndToEnd; bullmq: EndToEnd }): Array<Row> => [
  {
    label: `${title}: throughput (jobs/s)`,
    docket: r.docket.throughput,
    bullmq: r.bullmq.throughput,
    better: "higher",
  },
  { label: `${title}: latency p50 (ms)`, docket: r.docket.p50, bullmq: r.bullmq.p50, better: "lower" },
  { label: `${title}: latency p95 (ms)`, docket: r.docket.p95, bullmq: r.bullmq.p95, better: "lower" },
  { label: `${title}: latency p99 (ms)`, docket: r.docket.p99, bullmq: r.bullmq.p99, better: "lower" },
  {
    label: `${title}: submissions achieved (jobs/s)`,
    docket: r.docket.submitRate,
    bullmq: r.bullmq.submitRate,
    better: "higher",
  },
];

/** Rows of the CPU table: CPU ms per 1,000 jobs, of the client (or worker) process and Redis. */
const cpuRows = (
  title: string,
  client: string,
  r: { readonly docket: Measured; readonly bullmq: Measured },
): Array<Row> => [
  {
    label: `${title}: ${client}`,
    docket: (r.docket.clientCpuMs / JOBS) * 1000,
    bullmq: (r.bullmq.clientCpuMs / JOBS) * 1000,
    better: "lower",
  },
  {
    label: `${title}: redis-server`,
    docket: (r.docket.redisCpuMs / JOBS) * 1000,
    bullmq: (r.bullmq.redisCpuMs / JOBS) * 1000,
    better: "lower",
  },
];

const throughputRow = (label: string, r: { readonly docket: Measured; readonly bullmq: Measured }): Row => ({
  label,
  docket: rate(JOBS, r.docket.ms),
  bullmq: rate(JOBS, r.bullmq.ms),
  better: "higher",
});

const n = JOBS.toLocaleString("en-US");
const rows: Array<Row> = [];
const cpuCost: Array<Row> = [];
const memoryCost: Array<Row> = [];
const runStarted = performance.now();
try {
  const serverInfo = await admin.info("server");
  const redisVersion = /redis_version:(\S+)/.exec(serverInfo)?.[1] ?? "unknown";
  const bullmqVersion = (
    JSON.parse(readFileSync(new URL("node_modules/bullmq/package.json", import.meta.url), "utf8")) as {
      version: string;
    }
  ).version;
  log(
    `Redis ${redisVersion} at ${redis.url}${redis.owned ? " (private)" : " (REDIS_URL)"}, ${n} jobs per scenario`,
  );
  await reset();
  await warmUp();

  if (selected("1")) {
    log("1. submit one by one");
    const seq = await submitSequential();
    rows.push(throughputRow(`1. Submit ${n} one by one (jobs/s)`, seq));
    cpuCost.push(...cpuRows("1. Submit one by one", "submitting process", seq));
  }

  if (selected("2")) {
    log("2. submit in bulk");
    const bulk = await submitBulk();
    rows.push(throughputRow(`2. Submit ${n} in bulk, chunks of ${CHUNK} (jobs/s)`, bulk));
    cpuCost.push(...cpuRows("2. Submit in bulk", "submitting process", bulk));
  }

  for (const concurrency of selected("3") ? DRAIN_CONCURRENCIES : []) {
    log(`3. drain at concurrency ${concurrency}`);
    const result = await drain(concurrency);
    rows.push(throughputRow(`3. Drain ${n}, 1 worker process, concurrency ${concurrency} (jobs/s)`, result));
    cpuCost.push(...cpuRows(`3. Drain, concurrency ${concurrency}`, "worker process", result));
    if (concurrency === DRAIN_CONCURRENCIES[DRAIN_CONCURRENCIES.length - 1])
      memoryCost.push({
        label: `Redis memory per completed job, kept (bytes; after row 3 at c=${concurrency})`,
        ...result.bytesPerJob,
        better: "lower",
      });
  }

  if (selected("4")) {
    log("4. end to end, bulk submit");
    rows.push(...e2eRows(`4. E2E, bulk submit, worker c=${E2E_CONCURRENCY}`, await e2e("bulk")));
  }

  if (selected("5")) {
    log(`5. end to end, paced at ${PACED_RATE}/s`);
    rows.push(...e2eRows(`5. E2E, paced ${PACED_RATE}/s, worker c=${E2E_CONCURRENCY}`, await e2e("paced")));
  }

  if (selected("6")) {
    log("6. drain on a local Redis Cluster (3 masters + 3 replicas)");
    rows.push({
      label: `6. Drain ${n} on a local Redis Cluster (3 masters + 3 replicas; Docket 3 shards), c=${CLUSTER_CONCURRENCY} (jobs/s)`,
      ...(await drainOnCluster()),
      better: "higher",
    });
  }

  const output = table(rows);
  const cpuOutput = table(cpuCost);
  const memoryOutput = memoryCost.length > 0 ? table(memoryCost) : "";
  const minutes = ((performance.now() - runStarted) / 60_000).toFixed(1);
  console.log(output);
  console.log(ARCHIVER_SAID);
  console.log(`\nCPU per 1,000 jobs (ms, user + system):\n${cpuOutput}`);
  if (memoryOutput !== "") console.log(`\nMemory:\n${memoryOutput}`);
  if (ONLY !== undefined) {
    log(`BENCH_ONLY=${ONLY.join(",")}: bench/RESULTS.md left as it was (${minutes} min)`);
    process.exit(0);
  }
  const cpu = cpus();
  const resultsFile = new URL("RESULTS.md", import.meta.url);
  writeFileSync(
    resultsFile,
    [
      "# Benchmark results: Docket vs BullMQ",
      "",
      "Written by `npm run bench` (bench/run.ts); what each row measures is in bench/README.md.",
      "",
      `- Date: ${new Date().toISOString()}`,
      `- Node ${process.version}, Redis ${redisVersion}${redis.owned ? " (private redis-server, no persistence)" : " (REDIS_URL)"}, BullMQ ${bullmqVersion}`,
      `- ${platform()} ${release()}, ${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}`,
      `- ${n} no-op jobs per scenario; the whole run took ${minutes} min`,
      "",
      output,
      "",
      "Docket/BullMQ below 1 means Docket is slower on a throughput row; above 1 means Docket is",
      `slower on a latency row. Docket runs with its full event history and hash chain; ${ARCHIVER_SAID}.`,
      "",
      "## CPU per 1,000 jobs (ms, user + system)",
      "",
      "Measured over the same spans as rows 1-3: the process that submits (or the worker process)",
      "and redis-server. Above 1 means Docket uses more CPU.",
      "",
      cpuOutput,
      "",
      "## Memory",
      "",
      "`used_memory` of redis-server after the drain at the highest concurrency, less before its",
      "jobs were submitted, per job: what keeping a completed job costs (both keep them).",
      "",
      memoryOutput,
      "",
      ...handWrittenNotes(resultsFile),
    ].join("\n"),
  );
  log(`wrote bench/RESULTS.md (${minutes} min)`);
} finally {
  for (const child of children) child.kill();
  admin.disconnect();
  await redis.stop();
}
// BullMQ's cluster connections (row 6) can keep retrying a cluster that is gone, which keeps
// the process alive after everything is written: end it, as the BENCH_ONLY path does.
process.exit(0);
