/**
 * One Docket worker process for the benchmark: a Worker on queue "default" with a no-op handler
 * and default settings (leases, heartbeats, scheduler). Reports on stdout (shared.ts protocol).
 *
 * burst: drains what is queued and exits (the drain rows); otherwise it runs until `target`
 * jobs have completed and their outcomes are written (the end-to-end rows).
 */
import { durabilityOf } from "../dist/infra/redis/durability.js";
import { openWorker } from "../dist/main.js";
import { cpuMsSince, parseConfig, send, until } from "./shared.ts";

const config = parseConfig();
let errors = 0;
// The same wiring as `docket worker` (its connections and claim loops).
const { worker, close } = await openWorker(
  {
    redisUrl: config.url,
    prefix: config.prefix,
    shards: config.shards ?? 1,
    leaseMs: 30_000,
    durability: durabilityOf(config.durability ?? "async") ?? { mode: "async" },
  },
  {
    name: "bench",
    queues: ["default"],
    concurrency: config.concurrency,
    handlers: { noop: () => null },
    burst: config.burst,
    onError: (error) => {
      errors += 1;
      if (errors <= 5) console.error("[docket-worker]", error);
    },
  },
);

send({ type: "ready" });
const started = performance.now();
const cpuStart = process.cpuUsage();
const running = worker.run();
if (config.burst) await running;
// `completed` counts handler successes; the outcome is written once the job leaves inFlight.
else await until(() => worker.info().completed >= config.target && worker.inFlight.size === 0);
const elapsedMs = performance.now() - started;
const cpuMs = cpuMsSince(cpuStart);
await worker.stop();
const { completed, failed } = worker.info();
send({ type: "done", elapsedMs, cpuMs, completed, failed, errors });
await close();
