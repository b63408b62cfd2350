/**
 * The worker's round trips on a real redis-server (ADR 0033): claim.lua returns each new entry
 * with the head read from the entry (written by append.lua when the job was queued), not from the
 * head hash, and an entry without those fields still comes with the head read from the hash; a
 * worker lane's event store sends the appends requested in one turn of the event loop, single and
 * batched, as one script call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, statusOf } from "../src/domain/index.ts";
import { systemClock } from "../src/engine/shared/index.ts";
import { JobService } from "../src/engine/write/index.ts";
import { type RedisClient, connect, whenReady } from "../src/infra/redis/connection.ts";
import { CONSUMER_GROUP } from "../src/infra/redis/keys.ts";
import { RedisEventStore } from "../src/infra/redis/redis-event-store.ts";
import { composeEngine } from "../src/main.ts";
import { startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";

let redis: TestRedis;
let client: RedisClient;

beforeAll(async () => {
  // Counts commands on one server (CONFIG RESETSTAT, INFO commandstats): its own, even where
  // REDIS_URL names a cluster.
  redis = await startRedis({ own: true });
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

describe("a worker lane's event store (coalesce: turn)", () => {
  it("sends the appends of one turn, single and batched, in one script call, each checked on its own", async () => {
    const prefix = uniquePrefix();
    const { queue, store: reader } = composeEngine({ client, prefix, shards: 1 });
    const store = new RedisEventStore({ client, prefix, shards: 1, coalesce: "turn" });
    const jobs = new JobService({ store, queue, clock: systemClock, shards: 1 });
    await client.config("RESETSTAT");
    const [one, two, many] = await Promise.all([
      jobs.submit({ type: "t", payload: 1 }, actor),
      jobs.submit({ type: "t", payload: 2, idempotencyKey: "k" }, actor),
      jobs.submitMany(
        [
          { type: "t", payload: 3 },
          { type: "t", payload: 4 },
          { type: "t", payload: 5 },
          { type: "t", payload: 6, idempotencyKey: "k" },
        ],
        actor,
      ),
    ]);
    expect(await calls("evalsha")).toBe(1);
    const created = [
      one.jobId,
      two.jobId,
      ...many.slice(0, 3).map((r) => ("jobId" in r ? r.jobId : "refused")),
    ];
    const heads = await reader.loadHeads(created);
    expect(heads.map((h) => (h === null ? "missing" : statusOf(h.state)))).toEqual(Array(5).fill("queued"));
    // The repeated idempotency key, in the same call as the job it names, appended nothing.
    const repeat = many[3];
    expect(repeat !== undefined && "jobId" in repeat ? repeat.jobId : "refused").toBe(two.jobId);
    expect(repeat !== undefined && "created" in repeat ? repeat.created : "refused").toBe(false);
  });
});
