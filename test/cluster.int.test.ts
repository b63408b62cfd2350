/**
 * Docket on a real local Redis Cluster (3 masters + 3 replicas, test/support/cluster.ts): the
 * API, a worker and the projector on ioredis' Cluster client, three shards spread over the three
 * masters (shard-tags.ts), every job run once, projected, and its history verified.
 */
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keys } from "../src/infra/redis/keys.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startCluster, type TestCluster } from "./support/cluster.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

const SHARDS = 3;

let cluster: TestCluster;
let api: TestApi;

beforeAll(async () => {
  cluster = await startCluster();
  api = await startApi(`redis-cluster://${cluster.seeds}`, { shards: SHARDS });
}, 120_000);
afterAll(async () => {
  await api?.stop();
  await cluster?.stop();
});

const submit = async (type: string, payload: unknown) => {
  const response = await api.app.inject({ method: "POST", url: "/v1/jobs", payload: { type, payload } });
  expect(response.statusCode, response.body).toBe(202);
  return response.json<{ id: string }>().id;
};

describe("Docket on Redis Cluster", () => {
  it("three shards live on three distinct masters", async () => {
    const keys = new Keys(api.prefix, SHARDS);
    const client = api.engine.client as Cluster;
    expect(client).toBeInstanceOf(Cluster);
    const owners = new Set<string>();
    for (let shard = 0; shard < SHARDS; shard++) {
      const slot = Number(await client.call("CLUSTER", "KEYSLOT", keys.log(shard)));
      const ranges = (await client.call("CLUSTER", "SLOTS")) as Array<[number, number, [string, number]]>;
      const owner = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2];
      owners.add(`${owner?.[0]}:${owner?.[1]}`);
    }
    expect(owners.size).toBe(SHARDS);
    // Health asks each shard's node, and shows each shard's round trip.
    const health = await api.app.inject({ method: "GET", url: "/health" });
    expect(health.statusCode, health.body).toBe(200);
    const shards = health.json<{ redis: { shards: Array<{ shard: number; latencyMs: number }> } }>().redis
      .shards;
    expect(shards.map((s) => s.shard)).toEqual([0, 1, 2]);
    for (const { latencyMs } of shards) expect(latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("submits, runs each job once, projects and verifies every history across the shards", async () => {
    const runs = new Map<string, number>();
    const { worker, done } = await startWorker(
      api.engine,
      {
        echo: async (payload: unknown, ctx: { jobId: string }) => {
          runs.set(ctx.jobId, (runs.get(ctx.jobId) ?? 0) + 1);
          return payload;
        },
      },
      { concurrency: 8 },
    );
    try {
      const ids = await Promise.all(Array.from({ length: 60 }, (_, i) => submit("echo", { i })));
      const shardsUsed = new Set(ids.map((id) => api.engine.store.keys.shardOf(id)));
      expect(shardsUsed.size).toBe(SHARDS);
      await waitFor(
        () => ids.every((id) => api.readSide.reads.job(id)?.status === "completed"),
        "every job projected completed",
        30_000,
      );
      expect(ids.map((id) => runs.get(id))).toEqual(ids.map(() => 1));
      const verify = await api.app.inject({ method: "POST", url: "/v1/audit/verify", payload: {} });
      expect(verify.statusCode, verify.body).toBe(200);
      expect(verify.json()).toMatchObject({ ok: true });
      const check = await api.app.inject({ method: "POST", url: "/v1/projections/check", payload: {} });
      expect(check.json()).toMatchObject({ equal: true, differences: [] });
    } finally {
      await worker.stop();
      await done;
    }
  });
});
