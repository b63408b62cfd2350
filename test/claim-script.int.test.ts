/**
 * claim.lua on a real redis-server: the head it returns with each new entry is read from the entry
 * (written by append.lua when the job was queued), not from the head hash (ADR 0033), and an entry
 * without those fields still comes with the head read from the hash.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, statusOf } from "../src/domain/index.ts";
import { connect, whenReady } from "../src/infra/redis/connection.ts";
import { CONSUMER_GROUP } from "../src/infra/redis/keys.ts";
import { composeEngine } from "../src/main.ts";
import { startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";

let redis: TestRedis;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = await whenReady(connect({ url: redis.url }));
});
afterAll(async () => {
  client?.disconnect();
  await redis.stop();
});

const actor: Actor = { kind: "client", id: "claim-test" };

/** Calls of one command Redis has run since the stats were reset (scripts' own calls included). */
const calls = async (command: string): Promise<number> => {
  const stats = await client.info("commandstats");
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, "m").exec(stats)?.[1] ?? 0);
};

describe("claim.lua", () => {
  it("returns each new entry with its job's head, read from the entry: no HMGET", async () => {
    const { jobs, queue, store } = composeEngine({ client, prefix: uniquePrefix(), shards: 1 });
    await queue.ensureGroups(["default"]);
    const submitted = await jobs.submitMany(
      [1, 2, 3].map((i) => ({ type: "t", payload: { i } })),
      actor,
    );
    const ids = submitted.map((r) => ("jobId" in r ? r.jobId : "refused"));
    await client.config("RESETSTAT");
    const claimed = await queue.claim("c1", ["default"], 10);
    expect(await calls("hmget")).toBe(0);
    expect(claimed.map((c) => c.jobId)).toEqual(ids);
    const heads = await store.loadHeads(ids);
    claimed.forEach((c, i) => {
      expect(c.head).toEqual(heads[i]);
      expect(c.head === null ? "missing" : statusOf(c.head.state)).toBe("queued");
    });
  });

  it("an entry that does not carry the head has it read from the head hash", async () => {
    const prefix = uniquePrefix();
    const { jobs, queue, store } = composeEngine({ client, prefix, shards: 1 });
    await queue.ensureGroups(["default"]);
    const [first] = await jobs.submitMany([{ type: "t", payload: { i: 1 } }], actor);
    const jobId = first !== undefined && "jobId" in first ? first.jobId : "refused";
    // Take the entry append.lua wrote, and queue a bare one naming the same job.
    const [own] = await queue.claim("c1", ["default"], 1);
    const stream = own?.stream ?? "";
    await client.xadd(stream, "*", "jobId", jobId);
    await client.config("RESETSTAT");
    const [bare] = await queue.claim("c2", ["default"], 1);
    expect(await calls("hmget")).toBe(1);
    expect(bare?.jobId).toBe(jobId);
    expect(bare?.head).toEqual(await store.loadHead(jobId));
    const [pending] = (await client.xpending(stream, CONSUMER_GROUP)) as [number];
    expect(pending).toBe(2);
  });
});
