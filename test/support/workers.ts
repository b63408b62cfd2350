/** Starts real workers on a test engine (composed by src/main.ts) and stops them afterwards. */
import { systemClock } from "../../src/engine/shared/index.ts";
import type { Handlers, Worker, WorkerOptions } from "../../src/engine/worker/index.ts";
import { composeWorker, type EngineAdapters } from "../../src/main.ts";
import { apiActor, type TestEngine } from "./engine.ts";

type TestWorkerOptions = Partial<Omit<WorkerOptions, "handlers" | "store" | "queue" | "registry">>;

/** The ports a worker is given. */
export type WorkerPorts = EngineAdapters;

/**
 * A worker with test defaults (short lease and timers) on ports the caller already opened; with
 * `lanes` (a store and a queue each, the first being `ports`'), one claim loop per lane.
 */
export const workerOn = (ports: WorkerPorts, handlers: Handlers, options: TestWorkerOptions = {}): Worker => {
  const { lanes = [ports], ...settings } = options;
  return composeWorker(
    lanes.map((lane) => ({
      store: lane.store,
      queue: lane.queue,
      registry: ports.registry,
      ...(ports.cancels === undefined ? {} : { cancels: ports.cancels }),
    })),
    {
      name: "test-worker",
      queues: ["default"],
      concurrency: 1,
      clock: systemClock,
      leaseMs: 2_000,
      blockMs: 100,
      heartbeatMs: 200,
      schedulerIntervalMs: 25,
      ...settings,
      handlers,
    },
  );
};

export const startWorker = async (
  engine: TestEngine,
  handlers: Handlers,
  options: TestWorkerOptions = {},
): Promise<{ worker: Worker; done: Promise<void> }> => {
  const worker = workerOn(await engine.workerPorts(), handlers, options);
  const done = worker.run();
  return { worker, done };
};

/**
 * Submit `count` echo jobs and run them to completion with a burst worker (3 shard-log entries
 * each: submitted, started, completed); their ids, in submit order.
 */
export const runEchoJobs = async (engine: TestEngine, count: number): Promise<ReadonlyArray<string>> => {
  const ids: Array<string> = [];
  for (let i = 0; i < count; i++)
    ids.push((await engine.jobs.submit({ type: "echo", payload: { i } }, apiActor)).jobId);
  const { done } = await startWorker(
    engine,
    { echo: async (payload) => payload },
    { burst: true, concurrency: 4 },
  );
  await done;
  return ids;
};
