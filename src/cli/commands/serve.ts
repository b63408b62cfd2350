/**
 * `docket start` (API + projector + one worker, for a first look or a single machine) and
 * `docket api` (the HTTP API with the projector that owns its database; ADR 0009). How they
 * start without Redis and how they stop: ADR 0020.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { ApiServer, ProcessMetrics } from "../../main.ts";
import { type Command, intOption, stringOption } from "../command.ts";
import type { DocketEnv } from "../config.ts";
import { ConfigError } from "../config-error.ts";
import { archiveAccess, readEnv } from "../env.ts";
import { loadHandlers, threadIsolationFor } from "../handlers.ts";
import { hookSecretsOf } from "../hook-secrets.ts";
import { logProjectorStates, logWorkerLifecycle } from "../lifecycle-log.ts";
import { type Log, openCommandLog, repeatLimited } from "../log.ts";
import { SHUTDOWN_MARGIN_MS, shutdownOnSignals, stopWithin } from "../signals.ts";
import { archiverSettings } from "./archiver.ts";
import { schedulerSettings } from "../scheduler-settings.ts";

const ENV_DETAILS = `Environment (defaults): REDIS_URL (redis://127.0.0.1:6379), DOCKET_DB (./data/docket.sqlite),
PORT (3000), HOST (127.0.0.1), DOCKET_API_TOKEN and DOCKET_API_TOKENS=name:token,… (unset: no auth),
DOCKET_PREFIX (docket), DOCKET_SHARDS (1), DOCKET_LEASE_MS (30000); limits (README "Limits"):
DOCKET_SSE_MAX_CLIENTS (100), DOCKET_SSE_MAX_BUFFER_BYTES (1048576), DOCKET_TIME_TRAVEL_MAX_ENTRIES (250000),
DOCKET_TIME_TRAVEL_CONCURRENCY (2); LOG_LEVEL (info), LOG_FORMAT (json, or text at a terminal); the archiver it runs (DOCKET_ARCHIVER=off: none; see docket archiver --help):
DOCKET_ARCHIVE_DIR (DOCKET_DATA_DIR/archive), DOCKET_ARCHIVE_SEGMENT_ENTRIES (10000), DOCKET_ARCHIVE_MAX_AGE_MS (60000),
DOCKET_SIGNING_KEY (DOCKET_DATA_DIR/archive-signing-key.pem, made on first start); the scheduler it runs
(ADR 0037): DOCKET_SCHEDULER (on; off: none), DOCKET_SCHEDULER_INTERVAL_MS (250), DOCKET_SCHEDULER_GRACE_MS (30000);
webhooks (README "Webhooks"): DOCKET_WEBHOOK_ALLOW_PRIVATE (0), DOCKET_WEBHOOK_ALLOW (none), DOCKET_WEBHOOK_SECRET
(unset: no per-job webhooks), DOCKET_WEBHOOK_MAX_ATTEMPTS (8), DOCKET_WEBHOOK_TIMEOUT_MS (10000), DOCKET_HOOK_SECRET_<SOURCE> and
DOCKET_HOOK_SECRETS_FILE (inbound hooks).`;

const JSON_LOGS =
  "Logs are JSON lines on stdout (pino's format, a line per request included) unless stdout is a terminal (text on stderr); --json forces JSON.";

/** Open the API server on `redisUrl` and listen. */
const serve = async (options: {
  readonly env: DocketEnv;
  readonly redisUrl: string;
  readonly log: Log;
  readonly waitForRedis: boolean;
  readonly metrics: ProcessMetrics;
}): Promise<ApiServer> => {
  const { env, log } = options;
  const { openApiServer } = await import("../../main.ts");
  const dbDir = dirname(resolve(env.dbPath));
  try {
    mkdirSync(dbDir, { recursive: true });
  } catch (error) {
    throw new ConfigError(
      `cannot make ${dbDir} for the projection database (DOCKET_DB, by default in DOCKET_DATA_DIR): ${(error as Error).message}`,
    );
  }
  const server = await openApiServer({
    redisUrl: options.redisUrl,
    prefix: env.prefix,
    shards: env.shards,
    leaseMs: env.leaseMs,
    durability: env.durability,
    dbPath: env.dbPath,
    waitForRedis: options.waitForRedis,
    tokens: env.apiTokens,
    limits: env.limits,
    hookSecrets: hookSecretsOf(env.hookSecrets, process.env.DOCKET_HOOK_SECRETS_FILE),
    webhooks: {
      allowPrivate: env.webhooks.allowPrivate,
      allow: env.webhooks.allow,
      ...(env.webhooks.jobSecret === undefined ? {} : { jobSecret: env.webhooks.jobSecret }),
      policy: {
        ...(env.webhooks.maxAttempts === undefined ? {} : { maxAttempts: env.webhooks.maxAttempts }),
        ...(env.webhooks.timeoutMs === undefined ? {} : { timeoutMs: env.webhooks.timeoutMs }),
      },
      onError: repeatLimited(log.child("webhooks")),
    },
    logger: log.pino,
    metrics: options.metrics,
    onProjectorError: repeatLimited(log.child("projector")),
    onDependencyError: repeatLimited(log.child("dependencies")),
    ...(env.archive.inApi ? { archiver: { ...archiverSettings(env, log), thread: true } } : {}),
    ...(env.scheduler.enabled ? { scheduler: schedulerSettings(env, log, "api") } : {}),
    archive: archiveAccess(env),
    onProjectorState: logProjectorStates(log.child("projector")),
  });
  try {
    const address = await server.app.listen({ port: env.port, host: env.host });
    log.info(
      `API listening on ${address} (database ${resolve(env.dbPath)}${env.apiTokens.length === 0 ? ", no auth" : `, bearer auth on: ${env.apiTokens.length} token(s)`})`,
      { address, database: resolve(env.dbPath) },
    );
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
};

/** --queues, else DOCKET_QUEUES, else the default queue. */
const queuesOption = (value: string | undefined, fromEnv: ReadonlyArray<string> | undefined) =>
  value === undefined ? (fromEnv ?? ["default"]) : value.split(",").filter((q) => q !== "");

export const startCommand: Command = {
  name: "start",
  summary: "Start everything on one machine: HTTP API, projector and a worker (demo handlers by default).",
  options: {
    handlers: {
      type: "string",
      description:
        "handlers module (.js, .mjs, .cjs or .ts) whose default export maps job type to handler (default: demo handlers echo, sleep, fail, flaky)",
    },
    concurrency: {
      type: "string",
      description: "the worker's concurrency (default: DOCKET_CONCURRENCY, else 10)",
    },
    queues: {
      type: "string",
      description: "comma-separated queues for the worker (default: DOCKET_QUEUES, else default)",
    },
    "grace-ms": {
      type: "string",
      description: "on SIGTERM/SIGINT, how long in-flight jobs may finish (default 10000)",
    },
  },
  details: `${ENV_DETAILS}
The worker: DOCKET_QUEUES (default), DOCKET_WORKER_NAME (start), DOCKET_CONCURRENCY (10); the flags win; DOCKET_RATE_LIMITS, DOCKET_FAIRNESS.
DOCKET_ISOLATION=thread runs its handlers in worker threads (ADR 0040).
When no Redis answers at REDIS_URL, the URL names this machine and redis-server is on the PATH, a
private redis-server is started on that port with its data under DOCKET_DATA_DIR/redis (AOF on),
bound to 127.0.0.1, with a generated password kept in DOCKET_DATA_DIR/redis/password; it is
stopped last when docket start stops. ${JSON_LOGS}`,
  run: async (context) => {
    const env = await readEnv();
    const log = await openCommandLog(context, env, "");
    const handlersPath = stringOption(context, "handlers");
    const handlers = await loadHandlers(handlersPath);
    const isolated = env.worker.isolation === "thread";
    const concurrency = intOption(context, "concurrency", 1) ?? env.worker.concurrency ?? 10;
    const graceMs = intOption(context, "grace-ms") ?? 10_000;
    const queues = queuesOption(stringOption(context, "queues"), env.worker.queues);
    const shutdown = shutdownOnSignals();
    const { chooseRedis } = await import("../private-redis.ts");
    const { openWorker, ProcessMetrics } = await import("../../main.ts");
    // One registry for the process: the API's /metrics shows the worker's series too.
    const metrics = new ProcessMetrics();
    const redis = await chooseRedis({ url: env.redisUrl, dataDir: env.dataDir, log });
    log.info(redis.note, redis.pid === undefined ? {} : { redisPid: redis.pid });
    let server: ApiServer;
    let opened: Awaited<ReturnType<typeof openWorker>>;
    let workerId = "start";
    try {
      server = await serve({ env, redisUrl: redis.url, log, waitForRedis: true, metrics });
      try {
        opened = await openWorker(
          {
            redisUrl: redis.url,
            prefix: env.prefix,
            shards: env.shards,
            leaseMs: env.leaseMs,
            durability: env.durability,
            archive: archiveAccess(env),
          },
          {
            name: env.worker.name ?? "start",
            queues,
            concurrency,
            handlers,
            delivery: env.worker.delivery,
            ...(isolated ? { isolation: threadIsolationFor(handlersPath) } : {}),
            shutdownGraceMs: graceMs,
            onError: repeatLimited(log.child("worker")),
            observer: { lifecycle: logWorkerLifecycle(log.child("worker"), () => workerId) },
            metrics,
          },
        );
      } catch (error) {
        await server.close();
        throw error;
      }
    } catch (error) {
      await redis.stop();
      throw error;
    }
    const { worker, close: closeWorker } = opened;
    workerId = worker.id;
    log.info(
      `worker ${worker.id} on queues ${queues.join(",")} (handlers: ${Object.keys(handlers).join(", ")}${isolated ? ", in threads" : ""})`,
      { worker: worker.id, queues },
    );
    const running = worker.run();
    const signal = await shutdown.requested;
    log.info(`${signal}, shutting down`);
    // The worker drains first (its jobs need Redis to be handed back), then the API closes;
    // the private Redis stops last.
    await stopWithin(
      graceMs + SHUTDOWN_MARGIN_MS,
      async () => {
        await worker.stop();
        await running;
        await closeWorker();
        await server.close();
      },
      () =>
        log.error(
          `could not stop in order within ${graceMs + SHUTDOWN_MARGIN_MS} ms (is Redis unreachable?); exiting: jobs still in flight will be reclaimed when their lease expires`,
        ),
    );
    await redis.stop();
    log.info("stopped");
    return 0;
  },
};

export const apiCommand: Command = {
  name: "api",
  summary: "Run the HTTP API and the projector that owns its database (no worker).",
  details: `${ENV_DETAILS}
Several API processes may run at once, each with its own DOCKET_DB file. While Redis does not
answer, the API listens and /health answers 503; it retries with a line per attempt (1, 2, 4, 8,
then every 10 s). A password Redis refuses (NOAUTH, WRONGPASS) exits 2. ${JSON_LOGS}`,
  run: async (context) => {
    const env = await readEnv();
    const log = await openCommandLog(context, env, "api");
    const shutdown = shutdownOnSignals();
    const { ProcessMetrics } = await import("../../main.ts");
    const server = await serve({
      env,
      redisUrl: env.redisUrl,
      log,
      waitForRedis: false,
      metrics: new ProcessMetrics(),
    });
    const { waitForRedis } = await import("../redis-wait.ts");
    try {
      if ((await waitForRedis(env.redisUrl, log, shutdown.signal)) === "ready") {
        await server.readSide.ready().catch(() => undefined);
        server.readSide.projector.start();
        server.archiver?.start();
        server.scheduler?.start();
        server.webhookDeliverer?.start();
        server.dependencyFollower.start();
      }
    } catch (error) {
      // Refused credentials: main() reports them and exits 2.
      await server.close();
      throw error;
    }
    const signal = await shutdown.requested;
    log.info(`${signal}, shutting down`);
    await stopWithin(
      SHUTDOWN_MARGIN_MS,
      () => server.close(),
      () => log.error(`could not close within ${SHUTDOWN_MARGIN_MS} ms; exiting`),
    );
    log.info("stopped");
    return 0;
  },
};
