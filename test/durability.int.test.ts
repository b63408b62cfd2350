/**
 * DOCKET_DURABILITY on a real Redis (durability.ts, ADR 0047): `replicated` acknowledges a write
 * once a replica has it and answers 503 (outcome unknown) when none confirms in time; `fsync`
 * refuses a server that does not fsync every write and works on one that does.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type Durability, durabilityOf } from "../src/infra/redis/durability.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { runDocket } from "./support/docket.ts";
import { apiActor, makeEngine } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

const owned: Array<{ stop(): Promise<void> }> = [];
afterAll(async () => {
  for (const thing of owned.reverse()) await thing.stop();
});

const open = async (url: string, durability: Durability): Promise<TestApi> => {
  const api = await startApi(url, { durability });
  owned.push(api);
  return api;
};

const submit = (api: TestApi) =>
  api.app.inject({ method: "POST", url: "/v1/jobs", payload: { type: "durable", payload: { n: 1 } } });

const replicaLinked = async (replica: TestRedis) => {
  const { Redis } = await import("ioredis");
  const client = new Redis(replica.url);
  try {
    return (await client.info("replication")).includes("master_link_status:up");
  } finally {
    client.disconnect();
  }
};

describe("DOCKET_DURABILITY", () => {
  it("parses the modes it documents and nothing else", () => {
    expect(durabilityOf("async")).toEqual({ mode: "async" });
    expect(durabilityOf("replicated")).toMatchObject({ mode: "replicated", replicas: 1 });
    expect(durabilityOf("replicated:3")).toMatchObject({ mode: "replicated", replicas: 3 });
    expect(durabilityOf("fsync")).toMatchObject({ mode: "fsync" });
    for (const bad of [
      "",
      "sync",
      "replicated:0",
      "replicated:17",
      "fsync:1",
      "async:2",
      "replicated:1e3",
      " async",
    ])
      expect(durabilityOf(bad), bad).toBeNull();
  });

  it("replicated: a submit is acknowledged once a replica has it, and is 503 (outcome unknown) when no replica confirms", async () => {
    const primary = await startRedis({ own: true });
    owned.push(primary);
    const replica = await startRedis({ replicaOf: primary.url });
    owned.push(replica);
    await waitFor(() => replicaLinked(replica), "the replica to link to its primary");
    const api = await open(primary.url, durabilityOf("replicated") as Durability);
    const accepted = await submit(api);
    expect(accepted.statusCode, accepted.body).toBe(202);
    // The replica holds the job's head: what was acknowledged survives the primary.
    const { Redis } = await import("ioredis");
    const onReplica = new Redis(replica.url);
    const id = accepted.json<{ id: string }>().id;
    expect(await onReplica.exists(api.engine.store.keys.head(0, id))).toBe(1);
    onReplica.disconnect();

    replica.kill();
    const began = Date.now();
    const refused = await submit(api);
    expect(refused.statusCode, refused.body).toBe(503);
    expect(refused.json()).toMatchObject({ error: { code: "queue_unavailable" } });
    expect(refused.json().error.message).toMatch(/replica/);
    // It waited for the replica (the timeout), not forever.
    expect(Date.now() - began).toBeLessThan(15_000);
  });

  it("fsync: refused on a server that does not fsync every write (at start-up, and at a write), accepted on one that does", async () => {
    const lazy = await startRedis({ own: true });
    owned.push(lazy);
    const fsync = durabilityOf("fsync") as Durability;
    // The API does not open on it, saying why.
    await expect(open(lazy.url, fsync)).rejects.toThrow(
      /DOCKET_DURABILITY=fsync refused: .*appendfsync always/,
    );
    // A writer that skipped that check is refused at its first write, before anything is written.
    const engine = await makeEngine(lazy.url, { durability: fsync });
    owned.push({ stop: () => engine.close() });
    await expect(engine.jobs.submit({ type: "durable" }, apiActor)).rejects.toMatchObject({
      _tag: "QueueUnavailable",
      outcome: "not_written",
    });
    expect(await engine.client.dbsize()).toBe(0);

    // A worker asked for fsync on that server does not start: it says why and exits 1.
    const worker = await runDocket(["worker", "--burst"], {
      env: { REDIS_URL: lazy.url, DOCKET_DURABILITY: "fsync" },
    });
    expect(worker.status).toBe(1);
    expect(worker.stderr).toMatch(/DOCKET_DURABILITY=fsync refused: .*appendfsync always/);

    const strict = await startRedis({ own: true, appendOnly: true });
    owned.push(strict);
    const api = await open(strict.url, durabilityOf("fsync") as Durability);
    const accepted = await submit(api);
    expect(accepted.statusCode, accepted.body).toBe(202);
  });
});
