/**
 * The engine's Redis adapters and job service on open connections (ADR 0021, 0023): the one place
 * the write and worker ports' Redis adapters are constructed. Part of the composition root (main.ts).
 */
import type { Redis } from "ioredis";
import type { ArchivedLog } from "../engine/read/index.ts";
import { type Clock, systemClock } from "../engine/shared/index.ts";
import type { ArchiveAccess } from "./archived-log.ts";
import type { CancelFeed, WorkerRegistry, WorkQueue } from "../engine/worker/index.ts";
import { type CancelNotices, type EventStore, JobService } from "../engine/write/index.ts";
import { RedisCancelNotices } from "../infra/redis/redis-cancel-notices.ts";
import { connect, readyOrClosed } from "../infra/redis/connection.ts";
import { RedisEventStore } from "../infra/redis/redis-event-store.ts";
import { RedisWorkerRegistry } from "../infra/redis/redis-worker-registry.ts";
import { RedisWorkQueue } from "../infra/redis/redis-work-queue.ts";
import type { ProcessMetrics } from "../infra/telemetry/process-metrics.ts";
import { recordingStore } from "../infra/telemetry/recording-store.ts";
import { tracingStore } from "../infra/telemetry/tracing-store.ts";

export interface DocketConfig {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly shards: number;
  readonly leaseMs: number;
  readonly clock?: Clock;
  /**
   * The deployment's archive (ADR 0034): where readers find what was trimmed from Redis and the
   * jobs that left it. Absent: such reads fail, saying so.
   */
  readonly archive?: ArchiveAccess;
}

/** Connections the caller has opened (and closes), and where the deployment's keys live. */
export interface RedisWiring {
  readonly client: Redis;
  /** A second connection for blocking reads: a worker's idle wait, the projector's tail. */
  readonly blockingClient?: Redis;
  readonly prefix: string;
  readonly shards: number;
  /** Where entries trimmed from Redis are read (ADR 0034). */
  readonly archive?: ArchivedLog;
  /** How the event store coalesces appends (RedisEventStoreOptions.coalesce; workers: "turn"). */
  readonly coalesce?: "tick" | "turn";
}

/** The adapters of the write and worker rooms' ports on one pair of connections. */
export interface EngineAdapters {
  readonly store: EventStore;
  readonly queue: WorkQueue;
  readonly registry: WorkerRegistry;
  /** Cancels announced and heard (ADR 0040); without it, workers learn of them at lease renewal. */
  readonly cancels?: CancelNotices & CancelFeed;
}

/** The Redis adapters, typed as such: tests and tools read their key names (`store.keys`). */
export interface RedisAdapters extends EngineAdapters {
  readonly store: RedisEventStore;
  readonly queue: RedisWorkQueue;
  readonly registry: RedisWorkerRegistry;
  readonly cancels: RedisCancelNotices;
}

export interface Engine extends RedisAdapters {
  /** Submit, read, cancel, retry (the API's and the operators' use cases). */
  readonly jobs: JobService;
}

/** The one place the Redis adapters of the write and worker ports are constructed (ADR 0023). */
export const adaptersOn = (wiring: RedisWiring): RedisAdapters => {
  const { client, blockingClient, prefix, shards, archive, coalesce } = wiring;
  return {
    store: new RedisEventStore({
      client,
      prefix,
      shards,
      ...(archive === undefined ? {} : { archive }),
      ...(coalesce === undefined ? {} : { coalesce }),
    }),
    queue: new RedisWorkQueue({
      client,
      ...(blockingClient === undefined ? {} : { blockingClient }),
      prefix,
      shards,
    }),
    registry: new RedisWorkerRegistry({ client, prefix }),
    cancels: new RedisCancelNotices({ client, prefix }),
  };
};

/**
 * The engine's adapters and job service on open connections; `metrics` counts its appends, and
 * its appends are spans (ADR 0031; no-ops without a tracing SDK).
 */
export const composeEngine = (
  wiring: RedisWiring & { readonly clock?: Clock; readonly metrics?: ProcessMetrics },
): Engine => {
  const adapters = adaptersOn(wiring);
  const jobs = new JobService({
    store: tracingStore(
      wiring.metrics === undefined ? adapters.store : recordingStore(adapters.store, wiring.metrics),
    ),
    queue: adapters.queue,
    clock: wiring.clock ?? systemClock,
    shards: wiring.shards,
    cancels: adapters.cancels,
  });
  return { ...adapters, jobs };
};

/**
 * The engine's job service on a connection of its own, once Redis answers (fails with
 * QueueUnavailable after `timeoutMs`, RedisAuthRefused at once): the in-process API's
 * `connect()` (src/library). `close()` closes the connection.
 */
export const openEngine = async (
  config: Pick<DocketConfig, "redisUrl" | "prefix" | "shards" | "clock"> & { readonly timeoutMs?: number },
): Promise<Engine & { close(): Promise<void> }> => {
  const client = await readyOrClosed(connect({ url: config.redisUrl }), config.timeoutMs);
  const engine = composeEngine({
    client,
    prefix: config.prefix,
    shards: config.shards,
    ...(config.clock === undefined ? {} : { clock: config.clock }),
  });
  return { ...engine, close: async () => void client.disconnect() };
};
