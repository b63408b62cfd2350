/** `docket worker`: one worker process on the given queues with a handlers module. */
import { type Command, intOption, stringOption } from "../command.ts";
import { readEnv } from "../config.ts";
import { loadHandlers } from "../handlers.ts";
import { onShutdownSignals } from "../signals.ts";

export const workerCommand: Command = {
  name: "worker",
  summary: "Run a worker: claim jobs from the queues and run their handlers.",
  options: {
    queues: { type: "string", description: "comma-separated queues (default: default)" },
    concurrency: { type: "string", description: "jobs run at once (default 10)" },
    name: { type: "string", description: "a name for the registry (default: worker)" },
    handlers: {
      type: "string",
      description: "ES module whose default export maps job type to handler (default: demo handlers)",
    },
    burst: { type: "boolean", description: "exit when the queues are drained" },
    "max-jobs": { type: "string", description: "exit after this many jobs" },
    "grace-ms": {
      type: "string",
      description: "on SIGTERM, how long in-flight jobs may finish (default 10000)",
    },
  },
  details: "Environment: REDIS_URL, DOCKET_PREFIX, DOCKET_SHARDS, DOCKET_LEASE_MS (see README).",
  run: async (context) => {
    const env = readEnv();
    const handlers = await loadHandlers(stringOption(context, "handlers"));
    const { openWorker } = await import("../../main.ts");
    const queues = (stringOption(context, "queues") ?? "default").split(",").filter((q) => q !== "");
    const maxJobs = intOption(context, "max-jobs", 1);
    const { worker, close } = await openWorker(
      { redisUrl: env.redisUrl, prefix: env.prefix, shards: env.shards, leaseMs: env.leaseMs },
      {
        name: stringOption(context, "name") ?? "worker",
        queues,
        concurrency: intOption(context, "concurrency", 1) ?? 10,
        handlers,
        burst: context.values.burst === true,
        ...(maxJobs === undefined ? {} : { maxJobs }),
        shutdownGraceMs: intOption(context, "grace-ms") ?? 10_000,
        onError: (error) =>
          process.stderr.write(`docket worker: ${(error as Error).message ?? String(error)}\n`),
      },
    );
    onShutdownSignals((signal) => {
      process.stderr.write(`docket worker ${worker.id}: ${signal}, finishing in-flight jobs\n`);
      void worker.stop();
    });
    process.stderr.write(
      `docket worker ${worker.id} on queues ${queues.join(",")} (handlers: ${Object.keys(handlers).join(", ")})\n`,
    );
    await worker.run();
    await close();
    process.stderr.write(`docket worker ${worker.id}: stopped\n`);
    return 0;
  },
};
