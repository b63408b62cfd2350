/** Starts real workers on a test engine and stops them afterwards. */
import type { Handlers } from "../../src/engine/handlers.ts";
import { type EventStore, systemClock, type WorkerRegistry, type WorkQueue } from "../../src/engine/ports.ts";
import { Worker, type WorkerOptions } from "../../src/engine/worker.ts";
import type { TestEngine } from "./engine.ts";

type TestWorkerOptions = Partial<Omit<WorkerOptions, "handlers" | "store" | "queue" | "registry">>;

/** The ports a worker is given. */
export interface WorkerPorts {
  readonly store: EventStore;
  readonly queue: WorkQueue;
  readonly registry: WorkerRegistry;
}

/** A worker with test defaults (short lease and timers) on ports the caller already opened. */
export const workerOn = (ports: WorkerPorts, handlers: Handlers, options: TestWorkerOptions = {}): Worker =>
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
    store: ports.store,
    queue: ports.queue,
    registry: ports.registry,
  });

export const startWorker = async (
  engine: TestEngine,
  handlers: Handlers,
  options: TestWorkerOptions = {},
): Promise<{ worker: Worker; done: Promise<void> }> => {
  const worker = workerOn(await engine.workerPorts(), handlers, options);
  const done = worker.run();
  return { worker, done };
};
