/**
 * One Docket worker process for the benchmark: a Worker on queue "default" with a no-op handler
 * and default settings (leases, heartbeats, scheduler). Reports on stdout (shared.ts protocol).
 *
 * burst: drains what is queued and exits (the drain rows); otherwise it runs until `target`
 * jobs have completed and their outcomes are written (the end-to-end rows).
 */
import { systemClock } from "../src/engine/ports.ts";
import { Worker } from "../src/engine/worker.ts";
import { connect, connectBlocking, whenReady } from "../src/infra/redis/connection.ts";
import { RedisJobStore } from "../src/infra/redis/redis-job-store.ts";
import { cpuMsSince, parseConfig, send, until } from "./shared.ts";

const config = parseConfig();
const client = await whenReady(connect({ url: config.url }));
const blockingClient = await whenReady(connectBlocking({ url: config.url }));
const store = new RedisJobStore({ client, blockingClient, prefix: config.prefix, shards: 1 });
await store.ensureGroups(["default"]);

let errors = 0;
const worker = new Worker({
  name: "bench",
  queues: ["default"],
  concurrency: config.concurrency,
  handlers: { noop: () => null },
  store,
  queue: store,
  registry: store,
  clock: systemClock,
  burst: config.burst,
  onError: (error) => {
    errors += 1;
    if (errors <= 5) console.error("[docket-worker]", error);
  },
});

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
client.disconnect();
blockingClient.disconnect();
