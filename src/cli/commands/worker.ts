/** `docket worker`: one worker process on the given queues with a handlers module. */
import { type Command, intOption, stringOption, UsageError } from "../command.ts";
import { archiveAccess, readEnv } from "../env.ts";
import { loadHandlers, threadIsolationFor } from "../handlers.ts";
import { logWorkerLifecycle } from "../lifecycle-log.ts";
import { openCommandLog, repeatLimited } from "../log.ts";
import { SHUTDOWN_MARGIN_MS, shutdownOnSignals, stopWithin } from "../signals.ts";
import { schedulerSettings } from "../scheduler-settings.ts";

export const workerCommand: Command = {
  name: "worker",
  summary: "Run a worker: claim jobs from the queues and run their handlers.",
  options: {
    queues: {
      type: "string",
      description: "comma-separated queues, highest first (default: DOCKET_QUEUES, else default)",
    },
    concurrency: { type: "string", description: "jobs run at once (default: DOCKET_CONCURRENCY, else 10)" },
    name: {
      type: "string",
      description: "a name for the registry (default: DOCKET_WORKER_NAME, else worker)",
    },
    handlers: {
      type: "string",
      description:
        "handlers module (.js, .mjs, .cjs or .ts) whose default export maps job type to handler (default: demo handlers)",
    },
    isolation: {
      type: "string",
      description:
        "none (handlers run in the worker's thread) or thread (each in a worker thread that a timeout or cancel terminates; default: DOCKET_ISOLATION, else none)",
    },
    burst: { type: "boolean", description: "exit when the queues are drained" },
    "max-jobs": { type: "string", description: "exit after this many jobs" },
    "grace-ms": {
      type: "string",
      description: "on SIGTERM/SIGINT, how long in-flight jobs may finish (default 10000)",
    },
    "metrics-port": {
      type: "string",
      description:
        "serve this process's Prometheus metrics at http://127.0.0.1:PORT/metrics (default: DOCKET_METRICS_PORT, else none)",
    },
  },
  details: `Environment: DOCKET_QUEUES, DOCKET_WORKER_NAME, DOCKET_CONCURRENCY (the flags win), DOCKET_RATE_LIMITS, DOCKET_FAIRNESS, REDIS_URL, DOCKET_PREFIX, DOCKET_SHARDS, DOCKET_LEASE_MS, LOG_LEVEL, LOG_FORMAT,
DOCKET_ISOLATION (none or thread),
DOCKET_METRICS_PORT and DOCKET_METRICS_HOST (127.0.0.1), DOCKET_API_TOKEN(S) (guard /metrics too; see README).
While Redis does not answer, the worker waits for it with a line per attempt (1, 2, 4, 8, then
every 10 s); a password Redis refuses (NOAUTH, WRONGPASS) exits 2. Logs are JSON lines on stdout
(pino's format) unless stdout is a terminal (text on stderr); --json forces JSON. It runs the
scheduler role too (ADR 0037; DOCKET_SCHEDULER=off: none, nor with --burst).`,
  run: async (context) => {
    const env = await readEnv();
    const log = await openCommandLog(context, env, "worker");
    const metricsPort = intOption(context, "metrics-port", 0) ?? env.metricsPort;
    const handlersPath = stringOption(context, "handlers");
    const handlers = await loadHandlers(handlersPath);
    const isolation = stringOption(context, "isolation") ?? env.worker.isolation ?? "none";
    if (isolation !== "none" && isolation !== "thread")
      throw new UsageError(`--isolation must be none or thread, got ${JSON.stringify(isolation)}`);
    const queuesFlag = stringOption(context, "queues");
    const queues =
      queuesFlag === undefined
        ? (env.worker.queues ?? ["default"])
        : queuesFlag.split(",").filter((q) => q !== "");
    const maxJobs = intOption(context, "max-jobs", 1);
    const concurrency = intOption(context, "concurrency", 1) ?? env.worker.concurrency ?? 10;
    const graceMs = intOption(context, "grace-ms") ?? 10_000;
    const name = stringOption(context, "name") ?? env.worker.name ?? "worker";
    // Both end up in every event and key the worker writes: refuse a bad one here, as usage.
    const { NAME_PATTERN } = await import("../../domain/index.ts");
    for (const [option, value] of [["name", name], ...queues.map((q) => ["queues", q])] as const)
      if (!NAME_PATTERN.test(value))
        throw new UsageError(
          `--${option}: ${JSON.stringify(value)} is not a name (1 to 128 of A-Z a-z 0-9 . _ : -, starting with a letter or digit)`,
        );
    if (metricsPort !== undefined && metricsPort > 65535)
      throw new UsageError(`--metrics-port must be a port number from 0 to 65535, got ${metricsPort}`);
    const shutdown = shutdownOnSignals();
    // Served from the start: a worker waiting for Redis still shows its process metrics.
    const { openWorker, ProcessMetrics } = await import("../../main.ts");
    const metrics = new ProcessMetrics();
    const { serveMetrics } = await import("../../api/metrics-server.ts");
    const metricsServer =
      metricsPort === undefined
        ? undefined
        : await serveMetrics({
            text: () => metrics.text(),
            port: metricsPort,
            host: env.metricsHost,
            tokens: env.apiTokens,
          });
    if (metricsServer !== undefined)
      log.info(`metrics at ${metricsServer.url}/metrics`, { metrics: `${metricsServer.url}/metrics` });
    const { waitForRedis } = await import("../redis-wait.ts");
    if ((await waitForRedis(env.redisUrl, log, shutdown.signal)) === "stopped") {
      await metricsServer?.close();
      return 0;
    }
    let workerId = name;
    // The scheduler role (ADR 0037) on a connection of its own; a burst worker, which leaves
    // once the queues are empty, runs none.
    const { openEngine } = await import("../../main.ts");
    const schedulerEngine =
      env.scheduler.enabled && context.values.burst !== true
        ? await openEngine({
            redisUrl: env.redisUrl,
            prefix: env.prefix,
            shards: env.shards,
            // A tick's job may depend on one that has left Redis (ADR 0034, 0042).
            archive: archiveAccess(env),
          })
        : undefined;
    const scheduler = schedulerEngine?.scheduler(schedulerSettings(env, log, "worker"));
    scheduler?.start();
    const { worker, close } = await openWorker(
      {
        redisUrl: env.redisUrl,
        prefix: env.prefix,
        shards: env.shards,
        leaseMs: env.leaseMs,
        durability: env.durability,
        archive: archiveAccess(env),
      },
      {
        name,
        queues,
        concurrency,
        handlers,
        delivery: env.worker.delivery,
        ...(isolation === "thread" ? { isolation: threadIsolationFor(handlersPath) } : {}),
        burst: context.values.burst === true,
        ...(maxJobs === undefined ? {} : { maxJobs }),
        shutdownGraceMs: graceMs,
        onError: repeatLimited(log),
        observer: { lifecycle: logWorkerLifecycle(log, () => workerId) },
        metrics,
      },
    );
    workerId = worker.id;
    log.info(
      `${worker.id} on queues ${queues.join(",")} (handlers: ${Object.keys(handlers).join(", ")}${isolation === "thread" ? ", in threads" : ""})`,
      {
        worker: worker.id,
        queues,
      },
    );
    const running = worker.run();
    void shutdown.requested.then((signal) => {
      log.info(`${worker.id}: ${signal}, finishing in-flight jobs`);
      void stopWithin(
        graceMs + SHUTDOWN_MARGIN_MS,
        () => running,
        () =>
          log.error(
            `${worker.id}: could not stop in order within ${graceMs + SHUTDOWN_MARGIN_MS} ms (is Redis unreachable?); exiting: jobs still in flight will be reclaimed when their lease expires`,
          ),
      );
      void worker.stop();
    });
    await running;
    await scheduler?.stop();
    await schedulerEngine?.close();
    await metricsServer?.close();
    await close();
    log.info(`${worker.id}: stopped`);
    return 0;
  },
};
