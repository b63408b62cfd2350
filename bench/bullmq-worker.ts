/**
 * One BullMQ worker process for the benchmark: a Worker with a no-op processor and default
 * settings. It runs until `target` jobs have completed ('completed' fires once the job is
 * moved to the completed set), then closes. Reports on stdout (shared.ts protocol).
 */
import { Worker } from "bullmq";
import { BULLMQ_QUEUE, bullConnection, cpuMsSince, parseConfig, send } from "./shared.ts";

const config = parseConfig();
let completed = 0;
let failed = 0;
let errors = 0;
let started = 0;
let cpuStart = process.cpuUsage();
let finish: (at: { elapsedMs: number; cpuMs: number }) => void = () => {};
const finished = new Promise<{ elapsedMs: number; cpuMs: number }>((resolve) => (finish = resolve));

const worker = new Worker(BULLMQ_QUEUE, async () => null, {
  connection: bullConnection(config.url),
  prefix: config.prefix,
  concurrency: config.concurrency,
  autorun: false,
});
worker.on("completed", () => {
  completed += 1;
  if (completed === config.target)
    finish({ elapsedMs: performance.now() - started, cpuMs: cpuMsSince(cpuStart) });
});
worker.on("failed", () => {
  failed += 1;
});
worker.on("error", (error) => {
  errors += 1;
  if (errors <= 5) console.error("[bullmq-worker]", error);
});
await worker.waitUntilReady();

send({ type: "ready" });
started = performance.now();
cpuStart = process.cpuUsage();
void worker.run().catch((error: unknown) => {
  console.error("[bullmq-worker] run failed", error);
  process.exit(1);
});
const { elapsedMs, cpuMs } = await finished;
// Closing can hang on a Redis Cluster (BullMQ's blocking connection there); the figures are
// taken, so give it 5 s and leave.
await Promise.race([worker.close(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
send({ type: "done", elapsedMs, cpuMs, completed, failed, errors });
process.exit(0);
