/**
 * The composition root: the one place that wires infra (Redis) into the engine. Entry points
 * (worker process, later the API and CLI) call these functions; nothing else constructs infra.
 */
import { JobService } from "./engine/job-service.ts";
import { type Clock, systemClock } from "./engine/ports.ts";
import { Worker, type WorkerOptions } from "./engine/worker.ts";
import { connect, connectBlocking, whenReady } from "./infra/redis/connection.ts";
import { RedisJobStore } from "./infra/redis/redis-job-store.ts";

export interface DocketConfig {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly shards: number;
  readonly leaseMs: number;
  readonly clock?: Clock;
}

export interface Docket {
  readonly store: RedisJobStore;
  readonly jobs: JobService;
  close(): Promise<void>;
}

export const openDocket = async (config: DocketConfig): Promise<Docket> => {
  const client = await whenReady(connect({ url: config.redisUrl }));
  const store = new RedisJobStore({ client, prefix: config.prefix, shards: config.shards });
  const jobs = new JobService({
    store,
    queue: store,
    clock: config.clock ?? systemClock,
    shards: config.shards,
  });
  return { store, jobs, close: async () => void client.disconnect() };
};

export type WorkerSettings = Pick<
  WorkerOptions,
  "name" | "queues" | "concurrency" | "handlers" | "burst" | "maxJobs" | "shutdownGraceMs" | "onError"
>;

/** A worker with its own connections (one of them for blocking reads). */
export const openWorker = async (
  config: DocketConfig,
  settings: WorkerSettings,
): Promise<{ worker: Worker; close(): Promise<void> }> => {
  const client = await whenReady(connect({ url: config.redisUrl }));
  const blockingClient = await whenReady(connectBlocking({ url: config.redisUrl }));
  const store = new RedisJobStore({ client, blockingClient, prefix: config.prefix, shards: config.shards });
  const worker = new Worker({
    ...settings,
    store,
    queue: store,
    registry: store,
    clock: config.clock ?? systemClock,
    leaseMs: config.leaseMs,
  });
  return {
    worker,
    close: async () => {
      client.disconnect();
      blockingClient.disconnect();
    },
  };
};
