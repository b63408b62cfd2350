/**
 * The engine's Redis adapters and job service on open connections (ADR 0021, 0023): the one place
 * the write and worker ports' Redis adapters are constructed. Part of the composition root (main.ts).
 */
import type { DeliveryPolicy } from "../domain/index.ts";
import type { WebhookService } from "../engine/webhooks/index.ts";
import { webhookServiceOn, type WebhookSettings } from "./webhooks.ts";
import type { ArchivedLog } from "../engine/read/index.ts";
import { type Clock, systemClock } from "../engine/shared/index.ts";
import { type ArchiveAccess, archivedLogOf } from "./archived-log.ts";
import type { CancelFeed, WorkerRegistry, WorkQueue } from "../engine/worker/index.ts";
import { type CancelNotices, type EventStore, JobService } from "../engine/write/index.ts";
import { Scheduler, type SchedulerOptions, ScheduleService } from "../engine/schedule/index.ts";
import { Keys } from "../infra/redis/keys.ts";
import { RedisScheduleStore } from "../infra/redis/redis-schedule-store.ts";
import { RedisCancelNotices } from "../infra/redis/redis-cancel-notices.ts";
import { type RedisClient, connect, readyOrClosed } from "../infra/redis/connection.ts";
import type { Durability } from "../infra/redis/durability.ts";
import { RedisEventStore } from "../infra/redis/redis-event-store.ts";
import { RedisDependencyLinks } from "../infra/redis/redis-dependency-links.ts";
import { DependencyFollower, type DependencyFollowerOptions } from "../engine/flows/index.ts";
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
  /** When a write counts as acknowledged (DOCKET_DURABILITY; default async). */
  readonly durability?: Durability;
}

/** Connections the caller has opened (and closes), and where the deployment's keys live. */
export interface RedisWiring {
  readonly client: RedisClient;
  /** A second connection for blocking reads: a worker's idle wait, the projector's tail. */
  readonly blockingClient?: RedisClient;
  readonly prefix: string;
  readonly shards: number;
  /** Where entries trimmed from Redis are read (ADR 0034). */
  readonly archive?: ArchivedLog;
  /** How the event store coalesces appends (RedisEventStoreOptions.coalesce; workers: "turn"). */
  readonly coalesce?: "tick" | "turn";
  /** A worker's rate limits and fairness (ADR 0039); its claims serve them. */
  readonly delivery?: DeliveryPolicy;
  /** When a write counts as acknowledged (DOCKET_DURABILITY; default async). */
  readonly durability?: Durability;
}

/** A process's scheduler role (ADR 0037): its id (the actor of what it records) and pace. */
export type SchedulerSettings = Pick<SchedulerOptions, "id" | "intervalMs" | "graceMs" | "onError">;

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
  /** Create, change, read and list schedules (ADR 0037). */
  readonly schedules: ScheduleService;
  /** A scheduler role on the same connection; the caller starts and stops it. */
  scheduler(settings: SchedulerSettings): Scheduler;
  /** Dependency links and the waiting index (ADR 0042). */
  readonly links: RedisDependencyLinks;
  /** A dependency follower on the same connection (ADR 0042); the caller starts and stops it. */
  dependencyFollower(settings: DependencyFollowerSettings): DependencyFollower;
}

/** A process's dependency follower: its id (the actor of what it records), pace and error sink. */
export type DependencyFollowerSettings = Pick<DependencyFollowerOptions, "id" | "intervalMs" | "onError">;

/** The one place the Redis adapters of the write and worker ports are constructed (ADR 0023). */
export const adaptersOn = (wiring: RedisWiring): RedisAdapters => {
  const { client, blockingClient, prefix, shards, archive, coalesce, delivery, durability } = wiring;
  return {
    store: new RedisEventStore({
      client,
      prefix,
      shards,
      ...(archive === undefined ? {} : { archive }),
      ...(coalesce === undefined ? {} : { coalesce }),
      ...(durability === undefined ? {} : { durability }),
    }),
    queue: new RedisWorkQueue({
      client,
      ...(blockingClient === undefined ? {} : { blockingClient }),
      prefix,
      shards,
      ...(delivery === undefined ? {} : { delivery }),
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
  const links = new RedisDependencyLinks(wiring.client, adapters.store.keys);
  const jobs = new JobService({
    links,
    flows: adapters.store,
    store: tracingStore(
      wiring.metrics === undefined ? adapters.store : recordingStore(adapters.store, wiring.metrics),
    ),
    queue: adapters.queue,
    clock: wiring.clock ?? systemClock,
    shards: wiring.shards,
    cancels: adapters.cancels,
  });
  const clock = wiring.clock ?? systemClock;
  const scheduleStore = new RedisScheduleStore(wiring.client, new Keys(wiring.prefix, wiring.shards));
  return {
    ...adapters,
    jobs,
    schedules: new ScheduleService(scheduleStore, clock),
    scheduler: (options) => new Scheduler({ ...options, store: scheduleStore, jobs, clock }),
    links,
    dependencyFollower: (settings) =>
      new DependencyFollower({ ...settings, store: adapters.store, links, clock }),
  };
};

/**
 * The engine's job service on a connection of its own, once Redis answers (fails with
 * QueueUnavailable after `timeoutMs`, RedisAuthRefused at once): the in-process API's
 * `connect()` (src/library). `close()` closes the connection.
 */
export const openEngine = async (
  config: Pick<DocketConfig, "redisUrl" | "prefix" | "shards" | "clock" | "durability" | "archive"> & {
    readonly timeoutMs?: number;
    /** Where webhook subscriptions made through it may point (ADR 0038; default: public only). */
    readonly webhooks?: WebhookSettings;
  },
): Promise<Engine & { readonly webhooks: WebhookService; close(): Promise<void> }> => {
  const client = await readyOrClosed(connect({ url: config.redisUrl }), config.timeoutMs);
  const engine = composeEngine({
    client,
    prefix: config.prefix,
    shards: config.shards,
    ...(config.clock === undefined ? {} : { clock: config.clock }),
    ...(config.durability === undefined ? {} : { durability: config.durability }),
    // Jobs that left Redis, and what was trimmed from it, are read from the archive (ADR 0034).
    ...(config.archive === undefined ? {} : { archive: archivedLogOf(config.archive, config.prefix) }),
  });
  const webhooks = webhookServiceOn(client, config.prefix, config.clock ?? systemClock, config.webhooks);
  return { ...engine, webhooks, close: async () => void client.disconnect() };
};
