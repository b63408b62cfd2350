/**
 * The Redis implementation of the engine's WorkerRegistry port: each live worker's info in a
 * hash that expires with its heartbeat's TTL, and a sorted set of worker ids scored by expiry
 * time so listing needs no SCAN. Not shard data: its keys have their own hash tag (keys.ts).
 *
 * Lifetime: the caller owns the connection.
 */
import type { WorkerInfo, WorkerRegistry } from "../../engine/worker/ports.ts";
import { type RedisClient, guarded } from "./connection.ts";
import { Keys } from "./keys.ts";

export interface RedisWorkerRegistryOptions {
  readonly client: RedisClient;
  /** Key prefix (default "docket"). */
  readonly prefix?: string;
}

/**
 * A heartbeat from a worker of a version before status and current jobs (a rolling upgrade) lacks
 * them: its status follows from its running handlers, its current jobs are unknown (none listed).
 */
const withStatus = (info: Omit<WorkerInfo, "status" | "currentJobs"> & Partial<WorkerInfo>): WorkerInfo => ({
  ...info,
  status: info.status ?? (info.inFlight > 0 ? "busy" : "idle"),
  currentJobs: info.currentJobs ?? [],
});

export class RedisWorkerRegistry implements WorkerRegistry {
  private readonly client: RedisClient;
  private readonly keys: Keys;

  constructor(options: RedisWorkerRegistryOptions) {
    this.client = options.client;
    // The registry's keys do not depend on the number of shards.
    this.keys = new Keys(options.prefix ?? "docket", 1);
  }

  heartbeat(info: WorkerInfo, ttlMs: number): Promise<void> {
    return guarded(async () => {
      const key = this.keys.worker(info.id);
      await this.client
        .multi()
        .hset(key, { info: JSON.stringify(info), ttlMs: String(ttlMs) })
        .pexpire(key, ttlMs)
        .zadd(this.keys.workers(), Date.parse(info.lastSeenAt) + ttlMs, info.id)
        .exec();
    });
  }

  remove(id: string): Promise<void> {
    return guarded(async () => {
      await this.client.multi().del(this.keys.worker(id)).zrem(this.keys.workers(), id).exec();
    });
  }

  list(nowMs: number): Promise<ReadonlyArray<WorkerInfo>> {
    return guarded(async () => {
      // Scores are expiry times: anything below now has aged out.
      await this.client.zremrangebyscore(this.keys.workers(), "-inf", nowMs);
      const ids = await this.client.zrange(this.keys.workers(), "0", "-1");
      if (ids.length === 0) return [];
      const pipeline = this.client.pipeline();
      for (const id of ids) pipeline.hget(this.keys.worker(id), "info");
      const replies = (await pipeline.exec()) ?? [];
      return replies.flatMap(([, info]) => (typeof info === "string" ? [withStatus(JSON.parse(info))] : []));
    });
  }
}
