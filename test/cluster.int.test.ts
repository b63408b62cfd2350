/**
 * Docket on a real local Redis Cluster (3 masters + 3 replicas, test/support/cluster.ts): the
 * API, a worker and the projector on ioredis' Cluster client, three shards spread over the three
 * masters (shard-tags.ts), every job run once, projected, and its history verified.
 */
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keys } from "../src/infra/redis/keys.ts";
import { shardTagOf, slotOfTag } from "../src/infra/redis/shard-tags.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startCluster, type TestCluster } from "./support/cluster.ts";
import { askServer } from "./support/redis-process.ts";
import { apiActor, makeEngine } from "./support/engine.ts";
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

  it("metrics count each shard's waiting work and projector lag, as JSON and as exposition text", async () => {
    const queue = `idle-${Date.now()}`;
    const ids = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const response = await api.app.inject({
          method: "POST",
          url: "/v1/jobs",
          payload: { type: "echo", queue, payload: {} },
        });
        expect(response.statusCode, response.body).toBe(202);
        return response.json<{ id: string }>().id;
      }),
    );
    await waitFor(() => ids.every((id) => api.readSide.reads.job(id) !== null), "the jobs projected");
    const perShard = new Map<number, number>();
    for (const id of ids) {
      const shard = api.engine.store.keys.shardOf(id);
      perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
    }
    const json = await api.app.inject({ method: "GET", url: "/v1/metrics" });
    expect(json.statusCode, json.body).toBe(200);
    const { shards, queues } = json.json<{
      shards: Array<{ shard: number; waiting: number; pending: number; projectorBehindMs: number | null }>;
      queues: Array<{ queue: string; waiting: number }>;
    }>();
    expect(shards.map((s) => s.shard)).toEqual([0, 1, 2]);
    // Nothing else waits on this cluster: each shard's waiting work is its share of these jobs.
    expect(shards.map((s) => s.waiting)).toEqual([0, 1, 2].map((s) => perShard.get(s) ?? 0));
    expect(queues.find((q) => q.queue === queue)?.waiting).toBe(30);
    for (const s of shards) expect(s.projectorBehindMs).not.toBeNull();
    const text = (await api.app.inject({ method: "GET", url: "/metrics" })).body;
    for (const shard of [0, 1, 2])
      expect(text).toContain(`docket_shard_waiting{shard="${shard}"} ${perShard.get(shard) ?? 0}`);
    expect(text).toMatch(/^docket_shard_projector_behind_ms\{shard="2"\} \d+$/m);
  });

  // Last: it moves a master. A manual failover (CLUSTER FAILOVER on a replica) leaves every
  // connection open, so a client keeps its slot map naming the old master, which now answers
  // MOVED; with replicated durability each write pipeline carries a WAIT, which that node runs —
  // ioredis then hands the MOVED back instead of following it (ShardPipelines sends it again).
  it("after a failover, a client with a stale slot map writes at once: the refused pipeline is sent again", async () => {
    const engine = await makeEngine(`redis-cluster://${cluster.seeds}`, {
      shards: SHARDS,
      durability: { mode: "replicated", replicas: 1, timeoutMs: 2_000 },
    });
    try {
      const first = await engine.jobs.submit({ type: "echo", payload: { n: 1 } }, apiActor);
      const slot = slotOfTag(shardTagOf(engine.store.keys.shardOf(first.jobId), SHARDS));
      const master = await cluster.masterOf(slot);
      const replica = await replicaOf(master.port);
      await askServer(replica, (c) => c.call("CLUSTER", "FAILOVER"));
      await waitFor(async () => (await cluster.masterOf(slot)).port === replica, "the replica to take over");
      await cluster.replicated(30_000);
      // Every shard gets a write (one of them on the moved slot), durably, at the first try.
      // (Ids are random: submit until every shard has had one, each at the first try.)
      const ids: Array<string> = [];
      const shardsWritten = () => new Set(ids.map((id) => engine.store.keys.shardOf(id))).size;
      for (let i = 0; i < 100 && (i < 12 || shardsWritten() < SHARDS); i++)
        ids.push((await engine.jobs.submit({ type: "echo", payload: { i } }, apiActor)).jobId);
      expect(shardsWritten()).toBe(SHARDS);
      const heads = await engine.store.loadHeads(ids);
      expect(heads.every((h) => h !== null)).toBe(true);
    } finally {
      await engine.close();
    }
  });
});

/** The port of a live replica of the master on `port`. */
const replicaOf = async (port: number): Promise<number> => {
  for (const node of cluster.nodes) {
    if (!node.alive || node.port === port) continue;
    const role = (await askServer(node.port, (c) => c.call("ROLE"))) as [string, string, number];
    if (role[0] === "slave" && Number(role[2]) === port) return node.port;
  }
  throw new Error(`no replica of 127.0.0.1:${port}`);
};
