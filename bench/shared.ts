/**
 * What bench/run.ts and the worker processes it spawns share: the line protocol a worker
 * process speaks on stdout, its configuration, and small helpers (spawning, timing, stats).
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Actor } from "../dist/domain/index.js";
import type { JobService } from "../dist/engine/write/index.js";
import { clusterTargetOf } from "../dist/infra/redis/cluster-url.js";
import type { ConnectionOptions } from "bullmq";
import { Cluster } from "ioredis";

/** The BullMQ queue name (each scenario has its own key prefix). */
export const BULLMQ_QUEUE = "bench";

/**
 * BullMQ's connection for a URL: one Redis, or a Cluster client for a `redis-cluster://` URL
 * (what Docket's own URL form names). On a cluster BullMQ needs its prefix in a hash tag
 * (`{…}`): a BullMQ queue lives in one slot.
 */
export const bullConnection = (url: string): ConnectionOptions => {
  const cluster = clusterTargetOf(url);
  // Options, not a client: BullMQ then makes its own connections, as in every earlier run.
  if (cluster === null) return { url, maxRetriesPerRequest: null } as ConnectionOptions;
  return new Cluster(
    cluster.nodes.map(({ host, port }) => ({ host, port })),
    { redisOptions: { maxRetriesPerRequest: null } },
  );
};

/** How a worker process is told what to do (passed as JSON in argv[2]). */
export interface WorkerConfig {
  readonly url: string;
  readonly prefix: string;
  readonly concurrency: number;
  /** Stop once this many jobs have completed. */
  readonly target: number;
  /** Docket only: run as a burst worker (drain what is queued, then exit). */
  readonly burst: boolean;
  /** Docket only: DOCKET_SHARDS (default 1). */
  readonly shards?: number;
  /** Docket only: DOCKET_DURABILITY (default async). */
  readonly durability?: string;
}

/** Lines a worker process prints on stdout, one JSON object each. */
export type WorkerMessage =
  | { readonly type: "ready" }
  | {
      readonly type: "done";
      /** From starting the worker to the target-th completion, measured in the worker process. */
      readonly elapsedMs: number;
      /** CPU time (user + system) the worker process used over the same span. */
      readonly cpuMs: number;
      readonly completed: number;
      readonly failed: number;
      readonly errors: number;
    };

export type Done = Extract<WorkerMessage, { type: "done" }>;

export const send = (message: WorkerMessage): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`);
};

export const parseConfig = (): WorkerConfig => {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error("usage: <worker>.ts '<WorkerConfig JSON>'");
  return JSON.parse(raw) as WorkerConfig;
};

export interface WorkerProcess {
  /** Resolves when the process has set itself up and started its worker. */
  readonly ready: Promise<void>;
  /** Resolves with the process's report when it has finished and exited cleanly. */
  readonly done: Promise<Done>;
  kill(): void;
}

/**
 * Start `bench/<script>` in its own Node process (TypeScript through tsx). BENCH_WORKER_NODE_ARGS
 * adds Node options to it, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the workers.
 */
export const spawnWorker = (script: string, config: WorkerConfig): WorkerProcess => {
  const tsx = import.meta.resolve("tsx");
  const file = fileURLToPath(new URL(script, import.meta.url));
  const nodeArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(" ").filter((a) => a !== "") ?? [];
  const child = spawn(process.execPath, [...nodeArgs, "--import", tsx, file, JSON.stringify(config)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let report: Done | undefined;
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  createInterface({ input: child.stdout }).on("line", (line) => {
    let message: WorkerMessage;
    try {
      message = JSON.parse(line) as WorkerMessage;
    } catch {
      process.stderr.write(`[${script}] ${line}\n`);
      return;
    }
    if (message.type === "ready") onReady();
    else report = message;
  });
  const done = new Promise<Done>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (report !== undefined && code === 0) resolve(report);
      else reject(new Error(`${script} exited with ${signal ?? `code ${code}`} before reporting`));
    });
  });
  // A process that dies before it is ready must not leave `ready` hanging.
  const readyOrDied = Promise.race([ready, done.then(() => undefined)]);
  return { ready: readyOrDied, done, kill: () => child.kill("SIGKILL") };
};

/** CPU time (user + system, ms) this process has used since `start`. */
export const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` every `everyMs` until it holds. */
export const until = async (probe: () => boolean, everyMs = 2): Promise<void> => {
  while (!probe()) await sleep(everyMs);
};

/** Nearest-rank percentile of an ascending-sorted array. */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
};

export const chunksOf = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const chunks: Array<ReadonlyArray<A>> = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
};

/** Bytes redis-server has allocated (`used_memory`). */
export const usedMemory = async (client: { info(section: string): Promise<string> }): Promise<number> =>
  Number(/used_memory:(\d+)/.exec(await client.info("memory"))?.[1] ?? 0);

/** Submit `count` `noop` jobs ({ i }) in chunks of 1,000, as `npm run bench` does; throws on a refusal. */
export const submitNoopsInBulk = async (
  jobs: Pick<JobService, "submitMany">,
  count: number,
  actor: Actor,
): Promise<void> => {
  for (let from = 0; from < count; from += 1_000) {
    const specs = Array.from({ length: Math.min(1_000, count - from) }, (_, i) => ({
      type: "noop",
      payload: { i: from + i },
    }));
    for (const result of await jobs.submitMany(specs, actor))
      if (!("created" in result)) throw new Error(`a submit was refused: ${String(result)}`);
  }
};
