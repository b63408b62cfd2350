/**
 * The WorkerRegistry port in memory, with the Redis adapter's semantics: a heartbeat stores the
 * worker's info as given and keeps it until `lastSeenAt + ttlMs`; `list(nowMs)` first drops the
 * workers whose time is up (at or before `nowMs`), then returns the rest, soonest to age out
 * first.
 *
 * Deliberately not modelled: Redis also expires each worker's info key by its own clock after
 * `ttlMs`, so a worker listed with a `nowMs` far behind the server's time may be missing there;
 * with a real clock both say the same.
 */
import type { WorkerInfo, WorkerRegistry } from "../../engine/worker/ports.ts";
import type { MemoryStorage } from "./memory-storage.ts";

export class MemoryWorkerRegistry implements WorkerRegistry {
  constructor(private readonly storage: MemoryStorage) {}

  async heartbeat(info: WorkerInfo, ttlMs: number): Promise<void> {
    this.storage.workers.set(info.id, {
      info: JSON.stringify(info),
      expiresAtMs: Date.parse(info.lastSeenAt) + ttlMs,
    });
  }

  async remove(id: string): Promise<void> {
    this.storage.workers.delete(id);
  }

  async list(nowMs: number): Promise<ReadonlyArray<WorkerInfo>> {
    const { workers } = this.storage;
    for (const [id, worker] of workers) if (worker.expiresAtMs <= nowMs) workers.delete(id);
    return [...workers]
      .sort(([a, x], [b, y]) => x.expiresAtMs - y.expiresAtMs || (a < b ? -1 : a > b ? 1 : 0))
      .map(([, worker]) => JSON.parse(worker.info) as WorkerInfo);
  }
}
