/**
 * The `cluster` project runs the integration and model-based suites on a Redis Cluster: this
 * checks that it does (REDIS_URL names the project's cluster, whose client spreads one test's
 * shards over several masters), so a broken setup cannot pass them quietly on one server.
 */
import calculateSlot from "cluster-key-slot";
import type { Cluster } from "ioredis";
import { describe, expect, it } from "vitest";
import { connect, whenReady } from "../src/infra/redis/connection.ts";
import { isClusterUrl } from "./support/cluster.ts";
import { makeEngine } from "./support/engine.ts";
import { startRedis } from "./support/redis.ts";

describe("the cluster project", () => {
  it("gives every test a Redis Cluster URL whose shards live on different masters", async () => {
    const redis = await startRedis();
    expect(isClusterUrl(redis.url)).toBe(true);
    const client = await whenReady(connect({ url: redis.url }));
    try {
      expect(client.isCluster).toBe(true);
      const info = String(await client.call("CLUSTER", "INFO"));
      expect(info).toContain("cluster_state:ok");
      const engine = await makeEngine(redis.url, { shards: 3 });
      try {
        const ids = await Promise.all(
          Array.from({ length: 12 }, () => engine.jobs.submit({ type: "t" }, { kind: "client", id: "c" })),
        );
        expect(ids).toHaveLength(12);
        // Three shards, three masters: each shard's log answers from its own, and holds jobs.
        const cluster = client as Cluster;
        const masters = new Set<string | undefined>();
        for (const shard of [0, 1, 2]) {
          const key = engine.store.keys.log(shard);
          masters.add(cluster.slots[calculateSlot(key)]?.[0]);
          expect(await client.xlen(key), `shard ${shard}'s log`).toBeGreaterThan(0);
        }
        expect(masters.size).toBe(3);
      } finally {
        await engine.close();
      }
    } finally {
      client.disconnect();
    }
  });
});
