/**
 * The API process's composition: the HTTP app over the job service, the read side whose projection
 * file it owns, and (optionally) an archiver. Part of the composition root (main.ts).
 */
import type { FastifyInstance } from "fastify";
import type { NamedToken } from "../api/api-tokens.ts";
import { buildApp } from "../api/app.ts";
import type { ApiOptions, ProjectionLag } from "../api/deps.ts";
import type { ApiLimits } from "../api/limits.ts";
import { DEFAULT_RETENTION } from "../engine/archive/index.ts";
import type { ProjectorStateChange } from "../engine/read/index.ts";
import { systemClock } from "../engine/shared/index.ts";
import type { JobService } from "../engine/write/index.ts";
import type { Scheduler } from "../engine/schedule/index.ts";
import { connect, readyOrClosed } from "../infra/redis/connection.ts";
import { pingRedis } from "../infra/redis/ping.ts";
import { RedisEventLog } from "../infra/redis/redis-event-log.ts";
import { ProcessMetrics } from "../infra/telemetry/process-metrics.ts";
import { type ArchiverSettings, composeArchiver, composeRetention } from "./archive.ts";
import { type ArchiverRole, ArchiverThread } from "./archiver-thread.ts";
import { archivedLogOf } from "./archived-log.ts";
import { composeAudit } from "./audit.ts";
import { composeEngine, type SchedulerSettings } from "./engine.ts";
import { type OpenReadSide, openReadSide, type ReadSideConfig } from "./read-side.ts";
import { composeWebhooks, type WebhookSettings } from "./webhooks.ts";

export interface ApiServerConfig extends ReadSideConfig {
  /** When not empty, every route but `/health` and `/openapi.json` needs one of these (ADR 0017). */
  readonly tokens?: ReadonlyArray<NamedToken>;
  /** The dashboard's built files (ApiOptions.uiDir; default the package's dist/ui). */
  readonly uiDir?: string;
  /** fastify's logger (ApiOptions.logger). */
  readonly logger?: ApiOptions["logger"];
  /** Resource bounds: SSE clients and buffers, time-travel scans (README "Limits"). */
  readonly limits?: Partial<ApiLimits>;
  /** Told about projector failures (it retries by itself). */
  readonly onProjectorError?: (error: unknown) => void;
  /** Told about dependency follower failures (it retries by itself; ADR 0042). */
  readonly onDependencyError?: (error: unknown) => void;
  /** Told of each change of the live projector's state (the process's log). */
  readonly onProjectorState?: (change: ProjectorStateChange) => void;
  /** The process's metrics (default: a registry of its own without process metrics). */
  readonly metrics?: ProcessMetrics;
  /**
   * Wait for Redis before returning, then start the projector and the other background roles
   * (default true; fails with QueueUnavailable or RedisAuthRefused). With false, return at once:
   * routes answer 503 while Redis is away, and the caller waits for it and starts them
   * (`readSide.projector`, `archiver`, `scheduler`, `webhookDeliverer`, `dependencyFollower`): how `docket api` serves
   * /health while Redis is down.
   */
  readonly waitForRedis?: boolean;
  /** Run the scheduler role in this process too (ADR 0037); absent: none. */
  readonly scheduler?: SchedulerSettings;
  /** Run an archiver in this process too (ADR 0028); absent: none. */
  readonly archiver?: ArchiverSettings;
  /** Inbound hook sources and their secrets (`POST /v1/hooks/:source`, ADR 0038); absent: closed. */
  readonly hookSecrets?: ReadonlyMap<string, string>;
  /** Outbound webhooks: address policy, job webhook secret, retries; the deliverer runs here (ADR 0038). */
  readonly webhooks?: WebhookSettings;
}

export interface ApiServer {
  /** The fastify app, not yet listening. */
  readonly app: FastifyInstance;
  /** The registry `GET /metrics` serves after the projection's figures. */
  readonly metrics: ProcessMetrics;
  readonly jobs: JobService;
  readonly readSide: OpenReadSide;
  /** The scheduler this process runs, when configured (not started until Redis answers). */
  readonly scheduler: Scheduler | null;
  /** The archiver this process runs, when configured (not started until Redis answers). */
  readonly archiver: ArchiverRole | null;
  /** The outbound webhook deliverer, unless turned off (not started until Redis answers). */
  readonly webhookDeliverer: { start(): void } | null;
  /** The dependency follower (ADR 0042; not started until Redis answers). */
  readonly dependencyFollower: { start(): void };
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
  // The archive this process reads back: its archiver's, unless told otherwise (ADR 0034).
  const access =
    config.archive ??
    (config.archiver === undefined
      ? undefined
      : {
          archiveDir: config.archiver.archiveDir,
          dataDir: config.archiver.dataDir,
          ...(config.archiver.signingKeyPath === undefined
            ? {}
            : { signingKeyPath: config.archiver.signingKeyPath }),
        });
  const archive = access === undefined ? undefined : archivedLogOf(access, config.prefix);
  const engine = composeEngine({
    metrics,
    client,
    prefix: config.prefix,
    shards: config.shards,
    ...(config.clock === undefined ? {} : { clock: config.clock }),
    ...(archive === undefined ? {} : { archive }),
    ...(config.durability === undefined ? {} : { durability: config.durability }),
  });
  // A server that cannot give the durability asked for is refused now, not at the first submit.
  if (waitForRedis)
    await engine.store.prepare().catch((error: unknown) => {
      client.disconnect();
      throw error;
    });
  // Resumed event streams read the log on the API's own connection (no blocking reads), from
  // the archive for what was trimmed (ADR 0034).
  const log = new RedisEventLog({
    client,
    blockingClient: client,
    prefix: config.prefix,
    shards: config.shards,
    ...(archive === undefined ? {} : { archive }),
  });
  let readSide: OpenReadSide;
  try {
    readSide = openReadSide({
      ...config,
      ...(access === undefined ? {} : { archive: access }),
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
  // The archiver and retention share the API's connection.
  const wiring = {
    client,
    prefix: config.prefix,
    shards: config.shards,
    ...(config.clock === undefined ? {} : { clock: config.clock }),
  };
  let archiver: ArchiverRole | null = null;
  if (config.archiver !== undefined) {
    try {
      if (config.archiver.thread === true && config.clock !== undefined)
        throw new Error(
          "an archiver thread runs on the system clock: leave `thread` out with an injected clock",
        );
      archiver =
        config.archiver.thread === true
          ? new ArchiverThread(config, config.archiver)
          : composeArchiver(wiring, config.archiver);
    } catch (error) {
      await readSide.close();
      client.disconnect();
      throw error;
    }
    if (waitForRedis) archiver.start();
    const running = archiver;
    // Alerting needs these as series, not only as /health's JSON (ADR 0028, 0031).
    metrics.gauge(
      "docket_archive_paused",
      "1 while archiving is paused because the archive refuses writes or is behind, else 0.",
      () => (running.status().paused === null ? 0 : 1),
    );
    metrics.gauge(
      "docket_archive_active",
      "1 while this process's archiver holds the archiver lease, else 0 (standby, paused, stopped).",
      () => (running.status().state === "active" ? 1 : 0),
    );
    metrics.gauge(
      "docket_archive_sealed_entries",
      "Log entries this process's archiver has sealed into signed segments since it started.",
      () => running.status().archivedEntries,
    );
    metrics.gauge(
      "docket_archive_trimmed_entries",
      "Shard-log entries this process's archiver has trimmed from Redis after archiving them (ADR 0034).",
      () => running.status().trimmedEntries,
    );
    metrics.gauge(
      "docket_jobs_evicted",
      "Finished jobs this process's archiver has let go of from Redis after their retention (ADR 0034).",
      () => running.status().evicted,
    );
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
        shards: shards.map(({ shard, caughtUp, behindMs }) => ({ shard, caughtUp, behindMs })),
      };
    } catch {
      // Redis is unreachable: how far behind is unknown.
      return { state: status.state, shardsBehind: 0, lagMs: null, lastError, halt, shards: [] };
    }
  };
  const scheduler = config.scheduler === undefined ? null : engine.scheduler(config.scheduler);
  if (waitForRedis) scheduler?.start();
  if (scheduler !== null) {
    const running = scheduler;
    metrics.gauge(
      "docket_schedule_ticks_fired",
      "Schedule ticks this process's scheduler has fired (recorded ScheduleFired) since it started (ADR 0037).",
      () => running.status().fired,
    );
    metrics.gauge(
      "docket_schedule_ticks_skipped",
      "Schedule ticks this process's scheduler has recorded as skipped (overlap, missed, rejected) since it started.",
      () => running.status().skipped,
    );
    metrics.gauge(
      "docket_scheduler_failed_passes",
      "Scheduler passes in this process that failed (Redis away, a schedule that cannot be read) since it started.",
      () => running.status().failedPasses,
    );
  }
  const webhooks = composeWebhooks(
    { client, prefix: config.prefix, clock, log, jobEvents: (jobId) => engine.jobs.events(jobId) },
    config.webhooks,
  );
  // Started once Redis answers, like the projector (by the caller when not waiting here); it
  // then retries by itself while Redis is away.
  if (waitForRedis) webhooks.deliverer?.start();
  // Releases jobs whose dependencies ended (ADR 0042); started once Redis answers too, it then
  // carries on by itself while Redis is away.
  const follower = engine.dependencyFollower({
    id: `api-${process.pid}`,
    ...(config.onDependencyError === undefined ? {} : { onError: config.onDependencyError }),
  });
  if (waitForRedis) follower.start();
  const retention = composeRetention(wiring, config.archiver?.retention ?? DEFAULT_RETENTION);
  const app = buildApp(
    {
      jobs: engine.jobs,
      schedules: engine.schedules,
      purge: (request) => retention.purge(request),
      reads: readSide.reads,
      workers: engine.registry,
      queues: engine.queue,
      ping: () => pingRedis(client, engine.store.keys),
      projection: {
        lag,
        onApplied: (listener) => readSide.projector.onApplied(listener),
        shards: config.shards,
        logAfter: (shard, afterId, count) => log.read(shard, afterId, count),
        rebuild: () => readSide.rebuild(),
        check: () => readSide.check(),
        quarantine: (request) => readSide.quarantine(request),
        status: () => readSide.projector.status(),
      },
      audit: composeAudit({
        client,
        prefix: config.prefix,
        shards: config.shards,
        ...(archive === undefined ? {} : { archive }),
      }),
      ...(archiver === null ? {} : { archive: () => archiver.status() }),
      clock,
      webhooks: webhooks.service,
      processMetrics: () => metrics.text(),
    },
    {
      ...(config.tokens === undefined ? {} : { tokens: config.tokens }),
      ...(config.logger === undefined ? {} : { logger: config.logger }),
      ...(config.limits === undefined ? {} : { limits: config.limits }),
      ...(config.hookSecrets === undefined ? {} : { hookSecrets: config.hookSecrets }),
      ...(config.uiDir === undefined ? {} : { uiDir: config.uiDir }),
    },
  );
  metrics.gauge(
    "docket_webhook_deliveries_dead",
    "Webhook deliveries whose retries are spent, waiting for a manual retry (ADR 0038).",
    async () => (await webhooks.service.counts()).dead,
  );
  metrics.gauge(
    "docket_webhook_deliveries_pending",
    "Webhook deliveries not yet delivered (due now, leased or waiting for a retry; ADR 0038).",
    async () => (await webhooks.service.counts()).pending,
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
    scheduler,
    webhookDeliverer: webhooks.deliverer,
    dependencyFollower: follower,
    close: async () => {
      await scheduler?.stop();
      await app.close();
      await webhooks.deliverer?.stop();
      await follower.stop();
      await archiver?.stop();
      await readSide.close();
      client.disconnect();
    },
  };
};
