/** Starts real workers on a test engine and stops them afterwards. */
import { type Handlers, Worker, type WorkerOptions } from "../../src/engine/worker/index.ts";
import { systemClock } from "../../src/engine/shared/index.ts";
import type { RedisJobStore } from "../../src/infra/redis/redis-job-store.ts";
import type { TestEngine } from "./engine.ts";

type TestWorkerOptions = Partial<Omit<WorkerOptions, "handlers" | "store" | "queue" | "registry">>;

/** A worker with test defaults (short lease and timers) on a store the caller already opened. */
export const workerOn = (store: RedisJobStore, handlers: Handlers, options: TestWorkerOptions = {}): Worker =>
  new Worker({
    name: "test-worker",
    queues: ["default"],
    concurrency: 1,
    clock: systemClock,
    leaseMs: 2_000,
    blockMs: 100,
    heartbeatMs: 200,
    schedulerIntervalMs: 25,
    ...options,
    handlers,
    store,
    queue: store,
    registry: store,
  });

export const startWorker = async (
  engine: TestEngine,
  handlers: Handlers,
  options: TestWorkerOptions = {},
): Promise<{ worker: Worker; done: Promise<void> }> => {
  const worker = workerOn(await engine.workerStore(), handlers, options);
  const done = worker.run();
  return { worker, done };
};
