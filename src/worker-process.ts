/**
 * A worker process: `node --import tsx src/worker-process.ts`, configured by environment
 * variables (the `docket worker` CLI command will wrap the same function). SIGTERM or SIGINT
 * stops it gracefully: no new work, in-flight jobs get DOCKET_SHUTDOWN_GRACE_MS to finish, the
 * rest are handed back as retryable failed attempts. A second signal exits at once.
 */
import { Result, Schema } from "effect";
import { firstIssue } from "./engine/schema-errors.ts";
import { loadHandlersModule } from "./api/handlers-module.ts";
import { openWorker } from "./main.ts";

const IntString = Schema.String.check(Schema.isPattern(/^[0-9]+$/));
const Env = Schema.Struct({
  REDIS_URL: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^rediss?:\/\//))),
  DOCKET_PREFIX: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  DOCKET_SHARDS: Schema.optionalKey(IntString),
  DOCKET_LEASE_MS: Schema.optionalKey(IntString),
  DOCKET_QUEUES: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  DOCKET_CONCURRENCY: Schema.optionalKey(IntString),
  DOCKET_WORKER_NAME: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  DOCKET_HANDLERS: Schema.String.check(Schema.isMinLength(1)),
  DOCKET_BURST: Schema.optionalKey(Schema.Literals(["0", "1"])),
  DOCKET_MAX_JOBS: Schema.optionalKey(IntString),
  DOCKET_SHUTDOWN_GRACE_MS: Schema.optionalKey(IntString),
});

const main = async () => {
  const decoded = Schema.decodeUnknownResult(Env)(process.env, { onExcessProperty: "ignore" });
  if (Result.isFailure(decoded)) {
    const { field, message } = firstIssue(decoded.failure);
    console.error(`docket worker: invalid ${field}: ${message}`);
    process.exit(2);
  }
  const env = decoded.success;
  const handlers = await loadHandlersModule(env.DOCKET_HANDLERS);
  const { worker, close } = await openWorker(
    {
      redisUrl: env.REDIS_URL ?? "redis://127.0.0.1:6379",
      prefix: env.DOCKET_PREFIX ?? "docket",
      shards: Number(env.DOCKET_SHARDS ?? 1),
      leaseMs: Number(env.DOCKET_LEASE_MS ?? 30_000),
    },
    {
      name: env.DOCKET_WORKER_NAME ?? "worker",
      queues: (env.DOCKET_QUEUES ?? "default").split(","),
      concurrency: Number(env.DOCKET_CONCURRENCY ?? 10),
      handlers,
      burst: env.DOCKET_BURST === "1",
      ...(env.DOCKET_MAX_JOBS === undefined ? {} : { maxJobs: Number(env.DOCKET_MAX_JOBS) }),
      shutdownGraceMs: Number(env.DOCKET_SHUTDOWN_GRACE_MS ?? 10_000),
      onError: (error) => console.error(`docket worker: ${(error as Error).message ?? String(error)}`),
    },
  );
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(130);
    console.error(`docket worker ${worker.id}: ${signal}, finishing in-flight jobs`);
    void worker.stop();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  console.error(`docket worker ${worker.id} on queues ${env.DOCKET_QUEUES ?? "default"}`);
  await worker.run();
  await close();
  console.error(`docket worker ${worker.id}: stopped`);
};

main().catch((error: unknown) => {
  console.error(`docket worker: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
