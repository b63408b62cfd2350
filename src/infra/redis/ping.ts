/**
 * How health asks Redis whether it answers (ADR 0047). One Redis: one PING. A Redis Cluster: one
 * keyed command per shard (EXISTS on its log), all at once, each routed to the node serving that
 * shard's slot, so health shows every shard's latency and names the shard whose node does not
 * answer (a PING would reach one node only).
 */
import { connectionProblem, type RedisClient } from "./connection.ts";
import type { Keys } from "./keys.ts";

export interface RedisPing {
  readonly latencyMs: number;
  /** On a cluster, each shard's own round trip (the overall latency is the slowest). */
  readonly shards?: ReadonlyArray<{ readonly shard: number; readonly latencyMs: number }>;
}

const msSince = (started: number): number => Math.round((performance.now() - started) * 1000) / 1000;

export const pingRedis = async (client: RedisClient, keys: Keys): Promise<RedisPing> => {
  // Not connected: say so plainly (ioredis' own error names its offline-queue option).
  const problem = connectionProblem(client);
  if (problem !== null) throw new Error(problem);
  if (!client.isCluster) {
    const started = performance.now();
    await client.ping();
    return { latencyMs: msSince(started) };
  }
  const shards = await Promise.all(
    keys.allShards().map(async (shard) => {
      const started = performance.now();
      try {
        await client.exists(keys.log(shard));
      } catch (error) {
        throw new Error(`shard ${shard} does not answer: ${(error as Error).message}`, { cause: error });
      }
      return { shard, latencyMs: msSince(started) };
    }),
  );
  return { latencyMs: Math.max(...shards.map((s) => s.latencyMs)), shards };
};
