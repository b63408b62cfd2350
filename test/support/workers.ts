/** Starts real workers on a test engine and stops them afterwards. */
import type { Handlers } from "../../src/engine/handlers.ts";
import { systemClock } from "../../src/engine/ports.ts";
import { Worker, type WorkerOptions } from "../../src/engine/worker.ts";
import type { TestEngine } from "./engine.ts";

export const startWorker = async (
  engine: TestEngine,
  handlers: Handlers,
  options: Partial<Omit<WorkerOptions, "handlers" | "store" | "queue" | "registry">> = {},
): Promise<{ worker: Worker; done: Promise<void> }> => {
  const store = await engine.workerStore();
  const worker = new Worker({
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
  const done = worker.run();
  return { worker, done };
};
