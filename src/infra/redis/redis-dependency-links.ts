/**
 * The DependencyLinks port on Redis (ADR 0042): per job, the set of jobs that named it in
 * `dependsOn` (in that job's shard, `<p>:{s}:dependents:<id>`), and per shard the sorted set of
 * jobs waiting for their dependencies, which append.lua keeps (`<p>:{s}:waiting`).
 *
 * A link is one SADD in the dependency's shard, written before the dependent's submit (which
 * is in the dependent's shard: no script could write both in a Cluster). Lifetime: the caller
 * owns the connection.
 */
import type { ChainableCommander } from "ioredis";
import type { JobStatus } from "../../domain/index.ts";
import type { DependencyLinks } from "../../engine/write/ports.ts";
import { guarded, type RedisClient } from "./connection.ts";
import type { Keys } from "./keys.ts";
import { ShardPipelines } from "./shard-pipelines.ts";

export class RedisDependencyLinks implements DependencyLinks {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
  ) {}

  get shards(): number {
    return this.keys.shards;
  }

  link(dependent: string, dependencies: ReadonlyArray<string>): Promise<void> {
    return this.inEachSet(dependencies, (p, key) => p.sadd(key, dependent));
  }

  /** SREM in each dependency's shard; Redis deletes a set left empty. */
  unlink(dependent: string, dependencies: ReadonlyArray<string>): Promise<void> {
    return this.inEachSet(dependencies, (p, key) => p.srem(key, dependent));
  }

  /** One command on each dependency's dependents set, pipelined per shard. */
  private inEachSet(
    dependencies: ReadonlyArray<string>,
    command: (pipeline: ChainableCommander, key: string) => unknown,
  ): Promise<void> {
    return guarded(async () => {
      if (dependencies.length === 0) return;
      const pipelines = new ShardPipelines(this.client);
      for (const id of dependencies) {
        const shard = this.keys.shardOf(id);
        pipelines.on(shard, (p) => command(p, this.keys.dependents(shard, id)));
      }
      await pipelines.exec();
    });
  }

  dependents(jobId: string, limit: number): Promise<ReadonlyArray<string>> {
    return guarded(async () => {
      const key = this.keys.dependents(this.keys.shardOf(jobId), jobId);
      const found = new Set<string>();
      let cursor = "0";
      do {
        const [next, members] = await this.client.sscan(key, cursor, "COUNT", 100);
        for (const member of members) found.add(member);
        cursor = next;
      } while (cursor !== "0" && found.size < limit);
      return [...found].sort().slice(0, limit);
    });
  }

  statuses(jobIds: ReadonlyArray<string>): Promise<ReadonlyArray<JobStatus | null>> {
    return guarded(async () => {
      if (jobIds.length === 0) return [];
      const pipelines = new ShardPipelines(this.client);
      for (const id of jobIds) {
        const shard = this.keys.shardOf(id);
        pipelines.on(shard, (p) => p.hget(this.keys.head(shard, id), "status"));
      }
      // In the order added. The status field is written by append.lua alone, from the machine's
      // own status names.
      return (await pipelines.exec()).map((status) => (status ?? null) as JobStatus | null);
    });
  }

  waitingIn(shard: number, offset: number, limit: number): Promise<ReadonlyArray<string>> {
    return guarded(() =>
      this.client.zrange(this.keys.waiting(shard), String(offset), String(offset + limit - 1)),
    );
  }
}
