/**
 * The composition root: the one place that wires infra (Redis, SQLite) into the engine's rooms
 * and the API (ADR 0021). Two layers:
 * - `compose*` build on connections the caller has already opened: the job service, a worker and
 *   its claim loops, the read side, the audit tools. Tests, the model-based suite and the bench
 *   use them with their own connections and settings.
 * - `open*` open the connections, compose, and hand back `close()`: the `docket` CLI's processes.
 * Nothing else constructs the Redis adapters, the job service or a worker's wiring.
 *
 * Over 300 lines on purpose: it is the one composition root, and a second file would be a second
 * place that wires.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { buildApp } from "./api/app.ts";
import type { NamedToken } from "./api/api-tokens.ts";
import type { ApiOptions, ProjectionLag } from "./api/deps.ts";
import type { ApiLimits } from "./api/limits.ts";
import {
  type ArchiveStore,
  Archiver,
  compareArchiveWithLog,
  type LogComparison,
  type ArchiverStatus,
  type ArchiveVerifyReport,
  type JobInclusionProof,
  proveJob,
  verifyArchive,
} from "./engine/archive/index.ts";
import { type AuditSource, type AuditTools, auditTools } from "./engine/audit/index.ts";
import { type ProjectorStateChange, ReadSide, type ReadSideOptions } from "./engine/read/index.ts";
import { type Clock, systemClock } from "./engine/shared/index.ts";
import { Worker, type WorkerOptions, type WorkerRegistry, type WorkQueue } from "./engine/worker/index.ts";
import { type EventStore, JobService } from "./engine/write/index.ts";
import {
  connect,
  connectBlocking,
  connectionProblem,
  readyOrClosed,
  whenReady,
} from "./infra/redis/connection.ts";
import { ed25519Verifier, loadSigningKey, publicKeyFromPem } from "./infra/archive/ed25519.ts";
import { FsArchiveStore } from "./infra/archive/fs-archive-store.ts";
import { RedisArchiverLease, RedisShardLogReader } from "./infra/redis/redis-archive.ts";
import { RedisEventLog } from "./infra/redis/redis-event-log.ts";
import { RedisAuditSource } from "./infra/redis/redis-audit-source.ts";
import { RedisEventStore } from "./infra/redis/redis-event-store.ts";
import { RedisWorkerRegistry } from "./infra/redis/redis-worker-registry.ts";
import { RedisWorkQueue } from "./infra/redis/redis-work-queue.ts";
import { RedisQuarantineList } from "./infra/redis/redis-quarantine.ts";
import { SqliteProjectionFiles } from "./infra/sqlite/projection-files.ts";
import { ProcessMetrics } from "./infra/telemetry/process-metrics.ts";
import { recordingStore } from "./infra/telemetry/recording-store.ts";

/** A process's metrics registry (ADR 0031): one per process, shared by what it hosts. */
export { ProcessMetrics };

export interface DocketConfig {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly shards: number;
  readonly leaseMs: number;
  readonly clock?: Clock;
}

/** Connections the caller has opened (and closes), and where the deployment's keys live. */
export interface RedisWiring {
  readonly client: Redis;
  /** A second connection for blocking reads: a worker's idle wait, the projector's tail. */
  readonly blockingClient?: Redis;
  readonly prefix: string;
  readonly shards: number;
}

/** The adapters of the write and worker rooms' ports on one pair of connections. */
export interface EngineAdapters {
  readonly store: EventStore;
  readonly queue: WorkQueue;
  readonly registry: WorkerRegistry;
}

/** The Redis adapters, typed as such: tests and tools read their key names (`store.keys`). */
export interface RedisAdapters extends EngineAdapters {
  readonly store: RedisEventStore;
  readonly queue: RedisWorkQueue;
  readonly registry: RedisWorkerRegistry;
}

export interface Engine extends RedisAdapters {
  /** Submit, read, cancel, retry (the API's and the operators' use cases). */
  readonly jobs: JobService;
}

/** The one place the Redis adapters of the write and worker ports are constructed (ADR 0023). */
const adaptersOn = (wiring: RedisWiring): RedisAdapters => {
  const { client, blockingClient, prefix, shards } = wiring;
  return {
    store: new RedisEventStore({ client, prefix, shards }),
    queue: new RedisWorkQueue({
      client,
      ...(blockingClient === undefined ? {} : { blockingClient }),
      prefix,
      shards,
    }),
    registry: new RedisWorkerRegistry({ client, prefix }),
  };
};

/** The engine's adapters and job service on open connections; `metrics` counts its appends. */
export const composeEngine = (
  wiring: RedisWiring & { readonly clock?: Clock; readonly metrics?: ProcessMetrics },
): Engine => {
  const adapters = adaptersOn(wiring);
  const jobs = new JobService({
    store: wiring.metrics === undefined ? adapters.store : recordingStore(adapters.store, wiring.metrics),
    queue: adapters.queue,
    clock: wiring.clock ?? systemClock,
    shards: wiring.shards,
  });
  return { ...adapters, jobs };
};

/** What a worker is told besides its adapters (WorkerOptions without the wiring). */
export type WorkerComposition = Omit<WorkerOptions, "store" | "queue" | "registry" | "lanes" | "clock"> & {
  readonly clock?: Clock;
};

/**
 * A worker over adapters already composed: one claim loop per lane, each on its own connections
 * (ADR 0013); the first lane's registry takes its heartbeats. A worker of concurrency 1 uses one.
 */
export const composeWorker = (lanes: ReadonlyArray<EngineAdapters>, settings: WorkerComposition): Worker => {
  const [first] = lanes;
  if (first === undefined) throw new RangeError("a worker needs at least one lane");
  return new Worker({
    ...settings,
    store: first.store,
    queue: first.queue,
    registry: first.registry,
    lanes: lanes.map((lane) => ({ store: lane.store, queue: lane.queue })),
    clock: settings.clock ?? systemClock,
  });
};

export type WorkerSettings = Pick<
  WorkerOptions,
  | "name"
  | "queues"
  | "concurrency"
  | "handlers"
  | "burst"
  | "maxJobs"
  | "shutdownGraceMs"
  | "onError"
  | "observer"
> & {
  /** The process's metrics (default: a registry of its own without process metrics). */
  readonly metrics?: ProcessMetrics;
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
  const { metrics = new ProcessMetrics({ defaultMetrics: false }), observer, ...rest } = settings;
  const count = Math.max(1, Math.min(WORKER_LANES, settings.concurrency));
  const clients: Array<Redis> = [];
  const lanes = await Promise.all(
    Array.from({ length: count }, async () => {
      const client = connect({ url: config.redisUrl });
      clients.push(client);
      const blockingClient = connectBlocking({ url: config.redisUrl });
      clients.push(blockingClient);
      await Promise.all([whenReady(client), whenReady(blockingClient)]);
      const adapters = adaptersOn({ client, blockingClient, prefix: config.prefix, shards: config.shards });
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
      for (const client of clients) client.disconnect();
    },
  };
};

/** What the CLI needs to wait for Redis, report refused credentials and print URLs safely. */
export { probeRedis, type RedisProbe, RedisAuthRefused } from "./infra/redis/connection.ts";
export { redactUrl, redactUrlsIn } from "./infra/redact-url.ts";

/** What the read side needs besides its connections (both required: the tail blocks). */
export interface ReadSideWiring extends RedisWiring {
  readonly blockingClient: Redis;
  /** The live projection file; this process owns it exclusively while open (ADR 0009). */
  readonly dbPath: string;
  readonly clock?: Clock;
  readonly projector?: ReadSideOptions["projector"];
}

/**
 * The read side on open connections: the shard logs it tails, the projection files, the
 * quarantine records. Not started. Fails with ProjectionBusy if another process owns the file.
 */
export const composeReadSide = (wiring: ReadSideWiring): ReadSide => {
  const { client, blockingClient, prefix, shards } = wiring;
  return new ReadSide({
    log: new RedisEventLog({ client, blockingClient, prefix, shards }),
    files: new SqliteProjectionFiles(wiring.dbPath),
    clock: wiring.clock ?? systemClock,
    quarantine: new RedisQuarantineList(client, { prefix, shards }),
    ...(wiring.projector === undefined ? {} : { projector: wiring.projector }),
  });
};

/** The auditor's tools (read-only) on an open connection, and the source they read. */
export const composeAudit = (
  wiring: Omit<RedisWiring, "blockingClient">,
): AuditTools & { readonly source: AuditSource } => {
  const source = new RedisAuditSource(wiring.client, { prefix: wiring.prefix, shards: wiring.shards });
  return { source, ...auditTools(source) };
};

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
  let readSide: ReadSide;
  try {
    readSide = composeReadSide({
      client,
      blockingClient,
      prefix: config.prefix,
      shards: config.shards,
      dbPath: config.dbPath,
      ...(config.clock === undefined ? {} : { clock: config.clock }),
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
  /** Told of each change of the live projector's state (the process's log). */
  readonly onProjectorState?: (change: ProjectorStateChange) => void;
  /** The process's metrics (default: a registry of its own without process metrics). */
  readonly metrics?: ProcessMetrics;
  /**
   * Wait for Redis before returning, then start the projector (default true; fails with
   * QueueUnavailable or RedisAuthRefused). With false, return at once: routes answer 503 while
   * Redis is away, and the caller waits for it and starts the projector
   * (`readSide.projector.start()`): how `docket api` serves /health while Redis is down.
   */
  readonly waitForRedis?: boolean;
  /** Run an archiver in this process too (ADR 0028); absent: none. */
  readonly archiver?: ArchiverSettings;
}

export interface ApiServer {
  /** The fastify app, not yet listening. */
  readonly app: FastifyInstance;
  /** The registry `GET /metrics` serves after the projection's figures. */
  readonly metrics: ProcessMetrics;
  readonly jobs: JobService;
  readonly readSide: OpenReadSide;
  /** The archiver this process runs, when configured (not started until Redis answers). */
  readonly archiver: Archiver | null;
  /** Close the app, stop the projector and the archiver, close the database and connections. */
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
  const metrics = config.metrics ?? new ProcessMetrics({ defaultMetrics: false });
  const client = connect({ url: config.redisUrl });
  if (waitForRedis) await readyOrClosed(client);
  const engine = composeEngine({
    metrics,
    client,
    prefix: config.prefix,
    shards: config.shards,
    ...(config.clock === undefined ? {} : { clock: config.clock }),
  });
  let readSide: OpenReadSide;
  try {
    readSide = openReadSide({
      ...config,
      projector: {
        ...config.projector,
        ...(config.onProjectorError === undefined ? {} : { onError: config.onProjectorError }),
        ...(config.onProjectorState === undefined ? {} : { onStateChange: config.onProjectorState }),
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
  let archiver: Archiver | null = null;
  if (config.archiver !== undefined) {
    try {
      archiver = composeArchiver(
        {
          client,
          prefix: config.prefix,
          shards: config.shards,
          ...(config.clock === undefined ? {} : { clock: config.clock }),
        },
        config.archiver,
      );
    } catch (error) {
      await readSide.close();
      client.disconnect();
      throw error;
    }
    if (waitForRedis) archiver.start();
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
      jobs: engine.jobs,
      reads: readSide.reads,
      workers: engine.registry,
      queues: engine.queue,
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
      audit: composeAudit({ client, prefix: config.prefix, shards: config.shards }),
      ...(archiver === null ? {} : { archive: () => archiver.status() }),
      clock,
      processMetrics: () => metrics.text(),
    },
    {
      ...(config.tokens === undefined ? {} : { tokens: config.tokens }),
      ...(config.logger === undefined ? {} : { logger: config.logger }),
      ...(config.limits === undefined ? {} : { limits: config.limits }),
    },
  );
  metrics.gauge(
    "docket_workers",
    "Workers in the registry (heartbeat not yet expired).",
    async () => (await engine.registry.list(clock.now())).length,
  );
  metrics.gauge(
    "docket_projection_lag_seconds",
    "Age of the oldest log entry this API's projection has not applied (0 when caught up).",
    async () => {
      const { lagMs } = await lag();
      return lagMs === null ? null : lagMs / 1000;
    },
  );
  return {
    app,
    metrics,
    jobs: engine.jobs,
    readSide,
    archiver,
    close: async () => {
      await app.close();
      await archiver?.stop();
      await readSide.close();
      client.disconnect();
    },
  };
};

/**
 * The auditor's tools (replay, time travel, explain, verify, export) bound to Redis; read-only.
 * The offline bundle verifier needs no store: `verifyBundle` from the audit room's face.
 */
export const openAudit = async (
  config: Pick<DocketConfig, "redisUrl" | "prefix" | "shards">,
): Promise<AuditTools & { close(): Promise<void> }> => {
  const client = await readyOrClosed(connect({ url: config.redisUrl }));
  const { source: _source, ...tools } = composeAudit({
    client,
    prefix: config.prefix,
    shards: config.shards,
  });
  return { ...tools, close: async () => void client.disconnect() };
};

/** What an archiver is told (ADR 0028): where the archive and the key are, how it cuts segments. */
export interface ArchiverSettings {
  readonly archiveDir: string;
  /** DOCKET_SIGNING_KEY: a PKCS#8 PEM; absent: `<dataDir>/archive-signing-key.pem`, made if missing. */
  readonly signingKeyPath?: string;
  readonly dataDir: string;
  readonly segmentEntries: number;
  readonly maxAgeMs: number;
  /** The lease's time to live (default 15 s) and the pause between idle passes (default 1 s). */
  readonly leaseMs?: number;
  readonly pollMs?: number;
  readonly onError?: (error: unknown) => void;
  /** Test hook: called at each step of a commit (the crash tests stop the process there). */
  readonly onCommitStep?: (step: string) => Promise<void> | void;
}

/**
 * A deployment's archive: `<DOCKET_ARCHIVE_DIR>/<prefix>`, so deployments (prefixes) sharing one
 * archive directory never mix their logs, as they never mix their Redis keys.
 */
export const archiveDirOf = (archiveDir: string, prefix: string): string => join(archiveDir, prefix);

/** The origin line and key name of a deployment's checkpoints. */
export const archiveOrigin = (prefix: string): string => `docket/${prefix}`;

/** An archiver on an open connection: the shard logs read raw, the lease, the archive directory. */
export const composeArchiver = (
  wiring: Omit<RedisWiring, "blockingClient"> & { readonly clock?: Clock },
  settings: ArchiverSettings,
): Archiver => {
  const { signer } = loadSigningKey({
    dataDir: settings.dataDir,
    ...(settings.signingKeyPath === undefined ? {} : { keyPath: settings.signingKeyPath }),
  });
  return new Archiver({
    log: new RedisShardLogReader(wiring.client, { prefix: wiring.prefix, shards: wiring.shards }),
    store: new FsArchiveStore(
      archiveDirOf(settings.archiveDir, wiring.prefix),
      settings.onCommitStep === undefined ? {} : { onStep: settings.onCommitStep },
    ),
    lease: new RedisArchiverLease(wiring.client, { prefix: wiring.prefix }),
    signer,
    clock: wiring.clock ?? systemClock,
    origin: archiveOrigin(wiring.prefix),
    holder: `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`,
    segmentEntries: settings.segmentEntries,
    maxAgeMs: settings.maxAgeMs,
    leaseMs: settings.leaseMs ?? 15_000,
    pollMs: settings.pollMs ?? 1_000,
    ...(settings.onError === undefined ? {} : { onError: settings.onError }),
  });
};

/** A standalone archiver (`docket archiver`) with its own connection. Not started. */
export const openArchiver = (
  config: Pick<DocketConfig, "redisUrl" | "prefix" | "shards" | "clock">,
  settings: ArchiverSettings,
): { archiver: Archiver; ready(timeoutMs?: number): Promise<void>; close(): Promise<void> } => {
  const client = connect({ url: config.redisUrl });
  let archiver: Archiver;
  try {
    archiver = composeArchiver(
      {
        client,
        prefix: config.prefix,
        shards: config.shards,
        ...(config.clock === undefined ? {} : { clock: config.clock }),
      },
      settings,
    );
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return {
    archiver,
    ready: async (timeoutMs) => void (await whenReady(client, timeoutMs)),
    close: async () => {
      await archiver.stop();
      client.disconnect();
    },
  };
};

/** The archive's public key (PEM), from the key the archiver signs with (`docket audit key`). */
export const archivePublicKeyPem = (settings: Pick<ArchiverSettings, "dataDir" | "signingKeyPath">): string =>
  loadSigningKey({
    dataDir: settings.dataDir,
    generate: false,
    ...(settings.signingKeyPath === undefined ? {} : { keyPath: settings.signingKeyPath }),
  }).publicKeyPem;

/** An archive directory, read-only, for offline verification and proofs (no Redis). */
const archiveAt = (dir: string): ArchiveStore => new FsArchiveStore(dir);

const pemList = (pems: string | ReadonlyArray<string>): ReadonlyArray<string> =>
  typeof pems === "string" ? [pems] : pems;

/** Verify an archive directory offline against public keys (PEM texts; several across a rotation). */
export const verifyArchiveDir = (
  dir: string,
  publicKeyPems: string | ReadonlyArray<string>,
): Promise<ArchiveVerifyReport> =>
  verifyArchive({
    store: archiveAt(dir),
    verifier: ed25519Verifier,
    publicKeys: pemList(publicKeyPems).map(publicKeyFromPem),
  });

/** One job's inclusion proofs from an archive directory, checked against public keys (PEM texts). */
export const proveJobInArchive = (
  dir: string,
  jobId: string,
  publicKeyPems: string | ReadonlyArray<string>,
): Promise<JobInclusionProof> =>
  proveJob({
    store: archiveAt(dir),
    jobId,
    key: { publicKeys: pemList(publicKeyPems).map(publicKeyFromPem), verifier: ed25519Verifier },
  });

/** The archive's sealed ranges against the shard logs in Redis (catches a consistent rewrite of Redis). */
export const compareArchiveWithRedis = async (
  config: Pick<DocketConfig, "redisUrl" | "prefix" | "shards">,
  dir: string,
): Promise<LogComparison> => {
  const client = await readyOrClosed(connect({ url: config.redisUrl }));
  try {
    return await compareArchiveWithLog({
      store: archiveAt(dir),
      log: new RedisShardLogReader(client, { prefix: config.prefix, shards: config.shards }),
    });
  } finally {
    client.disconnect();
  }
};

export type { ArchiverStatus };
