/**
 * A worker's composition: its claim loops over adapters already composed, or a worker process with
 * its own connections (ADR 0013, 0025). Part of the composition root (main.ts).
 */
import type { DeliveryPolicy } from "../domain/index.ts";
import { type Clock, systemClock } from "../engine/shared/index.ts";
import { Worker, type WorkerOptions } from "../engine/worker/index.ts";
import { type RedisClient, connect, connectBlocking, whenReady } from "../infra/redis/connection.ts";
import { ProcessMetrics } from "../infra/telemetry/process-metrics.ts";
import { recordingStore } from "../infra/telemetry/recording-store.ts";
import { tracingStore } from "../infra/telemetry/tracing-store.ts";
import type { EventStore } from "../engine/write/index.ts";
import { DependencyFollower } from "../engine/flows/index.ts";
import { RedisDependencyLinks } from "../infra/redis/redis-dependency-links.ts";
import { archivedLogOf } from "./archived-log.ts";
import { adaptersOn, type DocketConfig, type EngineAdapters, type RedisAdapters } from "./engine.ts";

/** What a worker is told besides its adapters (WorkerOptions without the wiring). */
export type WorkerComposition = Omit<
  WorkerOptions,
  "store" | "queue" | "registry" | "lanes" | "clock" | "cancels"
> & {
  readonly clock?: Clock;
};

/**
 * A worker over adapters already composed: one claim loop per lane, each on its own connections
 * (ADR 0013); the first lane's registry takes its heartbeats. A worker of concurrency 1 uses one.
 * Its appends are spans (ADR 0031; no-ops without a tracing SDK).
 */
export const composeWorker = (lanes: ReadonlyArray<EngineAdapters>, settings: WorkerComposition): Worker => {
  const [first] = lanes;
  if (first === undefined) throw new RangeError("a worker needs at least one lane");
  const stores = lanes.map((lane) => tracingStore(lane.store));
  return new Worker({
    ...settings,
    store: stores[0] as EventStore,
    queue: first.queue,
    registry: first.registry,
    lanes: lanes.map((lane, i) => ({ store: stores[i] as EventStore, queue: lane.queue })),
    clock: settings.clock ?? systemClock,
    ...(first.cancels === undefined ? {} : { cancels: first.cancels }),
  });
};

export type WorkerSettings = Pick<
  WorkerOptions,
  | "name"
  | "queues"
  | "concurrency"
  | "handlers"
  | "isolation"
  | "burst"
  | "maxJobs"
  | "shutdownGraceMs"
  | "onError"
  | "observer"
> & {
  /** The process's metrics (default: a registry of its own without process metrics). */
  readonly metrics?: ProcessMetrics;
  /** Rate limits and fairness its claims serve (ADR 0039; default: none, strict priority). */
  readonly delivery?: DeliveryPolicy;
};

/**
 * Claim loops per worker process: with two, one loop's round trip to Redis overlaps the other's
 * work in Node, which measured 15–20 % more jobs/s than one (ADR 0013); more did not help on
 * two cores. Each loop has its own pair of connections.
 */
const WORKER_LANES = 2;

/** A worker with its own connections (one pair per claim loop; the blocking one for idle reads). */
export const openWorker = async (
  config: DocketConfig,
  settings: WorkerSettings,
): Promise<{ worker: Worker; metrics: ProcessMetrics; close(): Promise<void> }> => {
  const { metrics = new ProcessMetrics({ defaultMetrics: false }), observer, delivery, ...rest } = settings;
  const count = Math.max(1, Math.min(WORKER_LANES, settings.concurrency));
  const clients: Array<RedisClient> = [];
  let firstLane: RedisAdapters | undefined;
  // What was trimmed from Redis is read from the archive (ADR 0034): a durable job's journal
  // once its early events are archived (a long sleep), a dependency that has left Redis.
  const archive = config.archive === undefined ? undefined : archivedLogOf(config.archive, config.prefix);
  const lanes = await Promise.all(
    Array.from({ length: count }, async () => {
      const client = connect({ url: config.redisUrl });
      clients.push(client);
      const blockingClient = connectBlocking({ url: config.redisUrl });
      clients.push(blockingClient);
      await Promise.all([whenReady(client), whenReady(blockingClient)]);
      // Outcomes and the next starts of a turn share one script call (ADR 0033).
      const adapters = adaptersOn({
        client,
        blockingClient,
        prefix: config.prefix,
        shards: config.shards,
        coalesce: "turn",
        ...(archive === undefined ? {} : { archive }),
        ...(delivery === undefined ? {} : { delivery }),
        ...(config.durability === undefined ? {} : { durability: config.durability }),
      });
      // A server that cannot give the durability asked for is refused at start-up.
      await adapters.store.prepare();
      firstLane ??= adapters;
      return { ...adapters, store: recordingStore(adapters.store, metrics) };
    }),
  ).catch((error: unknown) => {
    for (const client of clients) client.disconnect();
    throw error;
  });
  const worker = composeWorker(lanes, {
    ...rest,
    ...(config.clock === undefined ? {} : { clock: config.clock }),
    leaseMs: config.leaseMs,
    observer: {
      attemptStarted: (queue, jobType, waitMs) => {
        if (waitMs !== null) metrics.attemptLaunched(queue, jobType, waitMs);
      },
      ...(observer?.lifecycle === undefined ? {} : { lifecycle: observer.lifecycle }),
    },
  });
  // Each worker process also releases jobs whose dependencies ended (ADR 0042): any number of
  // followers may run, their appends are idempotent.
  const lane = firstLane as RedisAdapters;
  const follower = new DependencyFollower({
    id: `worker-${settings.name ?? process.pid}`,
    store: lane.store,
    links: new RedisDependencyLinks(clients[0] as RedisClient, lane.store.keys),
    clock: config.clock ?? systemClock,
    ...(settings.onError === undefined ? {} : { onError: settings.onError }),
  });
  follower.start();
  metrics.gauge(
    "docket_worker_in_flight",
    "Handlers this worker process runs now.",
    () => worker.info().inFlight,
  );
  metrics.gauge(
    "docket_worker_concurrency",
    "Handlers this worker process may run at once.",
    () => settings.concurrency,
  );
  return {
    worker,
    metrics,
    close: async () => {
      await follower.stop();
      for (const client of clients) client.disconnect();
    },
  };
};
