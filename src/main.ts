/**
 * The composition root: the one place that wires infra (Redis, SQLite) into the engine and the
 * API. Entry points (the `docket` CLI, tests, the bench) call these functions; nothing else
 * constructs infra.
 */
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { buildApp } from "./api/app.ts";
import type { NamedToken } from "./api/api-tokens.ts";
import type { ApiOptions, ProjectionLag } from "./api/deps.ts";
import type { ApiLimits } from "./api/limits.ts";
import { type AuditTools, auditTools } from "./engine/audit/index.ts";
import { JobService } from "./engine/job-service.ts";
import { type Clock, systemClock } from "./engine/ports.ts";
import { ReadSide, type ReadSideOptions } from "./engine/read-side.ts";
import { Worker, type WorkerOptions } from "./engine/worker.ts";
import {
  connect,
  connectBlocking,
  connectionProblem,
  readyOrClosed,
  whenReady,
} from "./infra/redis/connection.ts";
import { RedisEventLog } from "./infra/redis/redis-event-log.ts";
import { RedisAuditSource } from "./infra/redis/redis-audit-source.ts";
import { RedisEventStore } from "./infra/redis/redis-event-store.ts";
import { RedisWorkerRegistry } from "./infra/redis/redis-worker-registry.ts";
import { RedisWorkQueue } from "./infra/redis/redis-work-queue.ts";
import { RedisQuarantineList } from "./infra/redis/redis-quarantine.ts";
import { SqliteProjectionFiles } from "./infra/sqlite/projection-files.ts";

export interface DocketConfig {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly shards: number;
  readonly leaseMs: number;
  readonly clock?: Clock;
}

export interface Docket {
  readonly store: RedisEventStore;
  readonly queue: RedisWorkQueue;
  readonly registry: RedisWorkerRegistry;
  readonly jobs: JobService;
  close(): Promise<void>;
}

/** The job service on one connection: what `openDocket` and the API process share. */
const jobsOn = (client: Redis, config: DocketConfig): Omit<Docket, "close"> => {
  const on = { client, prefix: config.prefix, shards: config.shards };
  const store = new RedisEventStore(on);
  const queue = new RedisWorkQueue(on);
  const registry = new RedisWorkerRegistry(on);
  const jobs = new JobService({ store, queue, clock: config.clock ?? systemClock, shards: config.shards });
  return { store, queue, registry, jobs };
};

export const openDocket = async (config: DocketConfig): Promise<Docket> => {
  const client = await readyOrClosed(connect({ url: config.redisUrl }));
  return { ...jobsOn(client, config), close: async () => void client.disconnect() };
};

export type WorkerSettings = Pick<
  WorkerOptions,
  "name" | "queues" | "concurrency" | "handlers" | "burst" | "maxJobs" | "shutdownGraceMs" | "onError"
>;

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
): Promise<{ worker: Worker; close(): Promise<void> }> => {
  const lanes = Math.max(1, Math.min(WORKER_LANES, settings.concurrency));
  const clients: Array<Redis> = [];
  const laneClients = await Promise.all(
    Array.from({ length: lanes }, async () => {
      const client = connect({ url: config.redisUrl });
      clients.push(client);
      const blockingClient = connectBlocking({ url: config.redisUrl });
      clients.push(blockingClient);
      await Promise.all([whenReady(client), whenReady(blockingClient)]);
      return { client, blockingClient };
    }),
  ).catch((error: unknown) => {
    for (const client of clients) client.disconnect();
    throw error;
  });
  const on = { prefix: config.prefix, shards: config.shards };
  const lanePorts = laneClients.map(({ client, blockingClient }) => ({
    store: new RedisEventStore({ ...on, client }),
    queue: new RedisWorkQueue({ ...on, client, blockingClient }),
  }));
  const [first] = lanePorts as [(typeof lanePorts)[number], ...typeof lanePorts];
  const [firstClients] = laneClients as [(typeof laneClients)[number], ...typeof laneClients];
  const worker = new Worker({
    ...settings,
    store: first.store,
    queue: first.queue,
    registry: new RedisWorkerRegistry({ ...on, client: firstClients.client }),
    lanes: lanePorts,
    clock: config.clock ?? systemClock,
    leaseMs: config.leaseMs,
  });
  return {
    worker,
    close: async () => {
      for (const client of clients) client.disconnect();
    },
  };
};

/** What the CLI needs to wait for Redis, report refused credentials and print URLs safely. */
export { probeRedis, type RedisProbe, RedisAuthRefused } from "./infra/redis/connection.ts";
export { redactUrl, redactUrlsIn } from "./infra/redact-url.ts";

export interface ReadSideConfig extends DocketConfig {
  /** The live projection file; this process owns it exclusively while open (ADR 0009). */
  readonly dbPath: string;
  readonly projector?: ReadSideOptions["projector"];
}

export interface OpenReadSide {
  /** Queries (jobs, events, metrics, checkpoints) on the live file, across rebuilds. */
  readonly reads: ReadSide["reads"];
  /** start / stop / onApplied / lag / status. Not started: call `projector.start()`. */
  readonly projector: ReadSide["projector"];
  rebuild: ReadSide["rebuild"];
  check: ReadSide["check"];
  /** Skip one undecodable log entry, recorded (ADR 0019). */
  quarantine: ReadSide["quarantine"];
  /**
   * Resolves once the Redis connections are up (fails with QueueUnavailable after `timeoutMs`).
   * One-shot commands (rebuild, check) await it; the projector needs not, it retries.
   */
  ready(timeoutMs?: number): Promise<void>;
  /** Stops the projector, closes the file and the Redis connections. */
  close(): Promise<void>;
}

/**
 * The read side for the process that owns `dbPath`: the projection file, its projector and the
 * log it tails (two connections: one of them for the blocking tail). Fails with ProjectionBusy if
 * another process owns the file. Redis need not be up: the projector retries until it is.
 */
export const openReadSide = (config: ReadSideConfig): OpenReadSide => {
  const client = connect({ url: config.redisUrl });
  const blockingClient = connectBlocking({ url: config.redisUrl });
  const log = new RedisEventLog({ client, blockingClient, prefix: config.prefix, shards: config.shards });
  let readSide: ReadSide;
  try {
    readSide = new ReadSide({
      log,
      files: new SqliteProjectionFiles(config.dbPath),
      clock: config.clock ?? systemClock,
      quarantine: new RedisQuarantineList(client, { prefix: config.prefix, shards: config.shards }),
      ...(config.projector === undefined ? {} : { projector: config.projector }),
    });
  } catch (error) {
    client.disconnect();
    blockingClient.disconnect();
    throw error;
  }
  return {
    reads: readSide.reads,
    projector: readSide.projector,
    rebuild: () => readSide.rebuild(),
    check: (options) => readSide.check(options),
    quarantine: (request) => readSide.quarantine(request),
    ready: async (timeoutMs) => {
      await Promise.all([whenReady(client, timeoutMs), whenReady(blockingClient, timeoutMs)]);
    },
    close: async () => {
      await readSide.close();
      client.disconnect();
      blockingClient.disconnect();
    },
  };
};

export interface ApiServerConfig extends ReadSideConfig {
  /** When not empty, every route but `/health` and `/openapi.json` needs one of these (ADR 0017). */
  readonly tokens?: ReadonlyArray<NamedToken>;
  /** fastify's logger (ApiOptions.logger). */
  readonly logger?: ApiOptions["logger"];
  /** Resource bounds: SSE clients and buffers, time-travel scans (README "Limits"). */
  readonly limits?: Partial<ApiLimits>;
  /** Told about projector failures (it retries by itself). */
  readonly onProjectorError?: (error: unknown) => void;
  /**
   * Wait for Redis before returning, then start the projector (default true; fails with
   * QueueUnavailable or RedisAuthRefused). With false, return at once: routes answer 503 while
   * Redis is away, and the caller waits for it and starts the projector
   * (`readSide.projector.start()`): how `docket api` serves /health while Redis is down.
   */
  readonly waitForRedis?: boolean;
}

export interface ApiServer {
  /** The fastify app, not yet listening. */
  readonly app: FastifyInstance;
  readonly jobs: JobService;
  readonly readSide: OpenReadSide;
  /** Close the app, stop the projector, close the database and the Redis connections. */
  close(): Promise<void>;
}

/**
 * The API process (ADR 0009, 0010): the HTTP app over the engine's job service, and the read
 * side whose projection file this process owns. The projector is started; the app is built but
 * not listening (the CLI listens; tests use `inject`).
 */
export const openApiServer = async (config: ApiServerConfig): Promise<ApiServer> => {
  const clock = config.clock ?? systemClock;
  const waitForRedis = config.waitForRedis ?? true;
  const client = connect({ url: config.redisUrl });
  if (waitForRedis) await readyOrClosed(client);
  const { queue, registry, jobs } = jobsOn(client, config);
  let readSide: OpenReadSide;
  try {
    readSide = openReadSide({
      ...config,
      projector: {
        ...config.projector,
        ...(config.onProjectorError === undefined ? {} : { onError: config.onProjectorError }),
      },
    });
  } catch (error) {
    client.disconnect();
    throw error;
  }
  if (waitForRedis) {
    // Redis answered the API's own client above; let the projector's connections come up too,
    // so a normal start logs no spurious "unavailable" retry (it retries by itself if Redis is down).
    await readSide.ready().catch(() => undefined);
    readSide.projector.start();
  }
  const lag = async (): Promise<ProjectionLag> => {
    const status = readSide.projector.status();
    const failing = status.state === "retrying" || status.state === "halted";
    const lastError = failing ? (status.lastError?.message ?? null) : null;
    const { halt } = status;
    try {
      const shards = await readSide.projector.lag();
      return {
        state: status.state,
        shardsBehind: shards.filter((s) => !s.caughtUp).length,
        lagMs: Math.max(0, ...shards.map((s) => s.behindMs)),
        lastError,
        halt,
      };
    } catch {
      // Redis is unreachable: how far behind is unknown.
      return { state: status.state, shardsBehind: 0, lagMs: null, lastError, halt };
    }
  };
  const app = buildApp(
    {
      jobs,
      reads: readSide.reads,
      workers: registry,
      queues: queue,
      ping: async () => {
        // Not connected: say so plainly (ioredis' own error names its offline-queue option).
        const problem = connectionProblem(client);
        if (problem !== null) throw new Error(problem);
        const started = performance.now();
        await client.ping();
        return Math.round((performance.now() - started) * 1000) / 1000;
      },
      projection: {
        lag,
        onApplied: (listener) =>
          readSide.projector.onApplied((entries) => listener(entries.map((e) => e.envelope))),
        rebuild: () => readSide.rebuild(),
        check: () => readSide.check(),
        quarantine: (request) => readSide.quarantine(request),
        status: () => readSide.projector.status(),
      },
      audit: auditTools(new RedisAuditSource(client, { prefix: config.prefix, shards: config.shards })),
      clock,
    },
    {
      ...(config.tokens === undefined ? {} : { tokens: config.tokens }),
      ...(config.logger === undefined ? {} : { logger: config.logger }),
      ...(config.limits === undefined ? {} : { limits: config.limits }),
    },
  );
  return {
    app,
    jobs,
    readSide,
    close: async () => {
      await app.close();
      await readSide.close();
      client.disconnect();
    },
  };
};

/**
 * The auditor's tools (replay, time travel, explain, verify, export) bound to Redis; read-only.
 * The offline bundle verifier needs no store: import `verifyBundle` from engine/audit directly.
 */
export const openAudit = async (
  config: Pick<DocketConfig, "redisUrl" | "prefix" | "shards">,
): Promise<AuditTools & { close(): Promise<void> }> => {
  const client = await readyOrClosed(connect({ url: config.redisUrl }));
  const source = new RedisAuditSource(client, { prefix: config.prefix, shards: config.shards });
  return { ...auditTools(source), close: async () => void client.disconnect() };
};
