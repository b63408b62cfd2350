/**
 * In-memory adapters of the engine's EventStore, WorkQueue and WorkerRegistry ports, for tests:
 * Docket's own unit tests of the engine (the writer's conflict handling, the worker's slot
 * accounting) and, later, library users' tests of their handlers. They implement the semantics
 * of the Redis adapters (the Lua scripts and the stream commands), and the port contract suites
 * in test/contract run against both; each file's header says what is deliberately not modelled.
 *
 * Never wired in production: nothing in src/ outside this folder imports it
 * (dependency-cruiser's `memory-adapters-are-for-tests`).
 */
import type { Clock } from "../../engine/shared/index.ts";
import { MemoryEventStore } from "./memory-event-store.ts";
import { MemoryStorage } from "./memory-storage.ts";
import { MemoryWorkerRegistry } from "./memory-worker-registry.ts";
import { MemoryWorkQueue } from "./memory-work-queue.ts";

export { MemoryEventStore, MemoryStorage, MemoryWorkerRegistry, MemoryWorkQueue };

/** The three adapters on one new storage whose clock (idle times) is `clock`. */
export const memoryAdapters = (clock: Clock) => {
  const storage = new MemoryStorage(clock);
  return {
    storage,
    store: new MemoryEventStore(storage),
    queue: new MemoryWorkQueue(storage),
    registry: new MemoryWorkerRegistry(storage),
  };
};
