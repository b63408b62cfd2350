import * as Result from "effect/Result";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENESIS_HASH, statusOf, verifyChain } from "../src/domain/index.ts";
import { CommandRefused, InvalidJobSpec, QueueUnavailable } from "../src/engine/shared/index.ts";
import { decodeHead } from "../src/infra/redis/head-codec.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { keysMatching, startRedis, type TestRedis } from "./support/redis.ts";
import { workerOn } from "./support/workers.ts";
import { waitFor } from "./support/wait.ts";

let redis: TestRedis;
const engines: Array<TestEngine> = [];
const engine = async (shards = 1) => {
  const e = await makeEngine(redis.url, { shards });
  engines.push(e);
  return e;
};

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const e of engines) await e.close();
  await redis.stop();
});

describe("submitting jobs to the Redis event store", () => {
  it("a submitted job is queued, its first event chains from genesis, and it is in its work stream and shard log", async () => {
    const { jobs, store, client } = await engine();
    const { jobId, created, head } = await jobs.submit(
      { type: "send-email", payload: { to: "a@b.c" } },
      apiActor,
    );
    expect(created).toBe(true);
    expect(head && statusOf(head.state)).toBe("queued");
    const events = await store.readEvents(jobId);
    expect(events.map((e) => [e.seq, e.type, e.prevHash])).toEqual([[1, "JobSubmitted", GENESIS_HASH]]);
    expect(
      Result.isSuccess(verifyChain(events, { anchor: { version: 1, lastHash: head?.lastHash ?? "" } })),
    ).toBe(true);
    expect(await client.xlen(store.keys.work(0, "default", "normal"))).toBe(1);
    const log = await client.xrange(store.keys.log(0), "-", "+");
    expect(log.map(([, fields]) => fields[1])).toEqual([jobId]);
  });

  it("job ids are UUIDv7 and sort by creation", async () => {
    const { jobs } = await engine();
    const ids: Array<string> = [];
    for (let i = 0; i < 5; i++) ids.push((await jobs.submit({ type: "noop" }, apiActor)).jobId);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
  });

  it("a bad spec is refused with a typed error naming the field, and nothing is written", async () => {
    const { jobs, client, prefix } = await engine();
    const cases: Array<[unknown, string]> = [
      [{ payload: {} }, "type"],
      [{ type: "x", maxAttempts: 0 }, "maxAttempts"],
      [{ type: "x", priority: "urgent" }, "priority"],
      [{ type: "x", backoff: { type: "exponential", delayMs: -1 } }, "backoff"],
      [{ type: "x", queue: "has space" }, "queue"],
      [{ type: "x", retries: 3 }, "retries"],
      [{ type: "x", delayMs: 10, runAt: "2030-01-01T00:00:00.000Z" }, "runAt"],
      [{ type: "x", payload: "y".repeat(600 * 1024) }, "payload"],
      ["not an object", "(body)"],
    ];
    for (const [input, field] of cases) {
      const error = await jobs.submit(input, apiActor).catch((e: unknown) => e);
      expect(error, JSON.stringify(input).slice(0, 80)).toBeInstanceOf(InvalidJobSpec);
      expect(
        (error as InvalidJobSpec).field.startsWith(field),
        `${(error as InvalidJobSpec).field} vs ${field}`,
      ).toBe(true);
    }
    expect(await keysMatching(client, `${prefix}:*`)).toEqual([]);
  });

  it("an idempotent submit returns the first job and appends nothing the second time", async () => {
    const { jobs, store, client } = await engine();
    const first = await jobs.submit(
      { type: "charge", payload: { cents: 100 }, idempotencyKey: "order-7" },
      apiActor,
    );
    const again = await jobs.submit(
      { type: "charge", payload: { cents: 100 }, idempotencyKey: "order-7" },
      apiActor,
    );
    expect(again).toMatchObject({ jobId: first.jobId, created: false });
    expect((await store.readEvents(first.jobId)).length).toBe(1);
    expect(await client.xlen(store.keys.log(0))).toBe(1);
  });

  it("idempotency keys hold across shards: the key's shard hosts the job", async () => {
    const { jobs, store } = await engine(4);
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        jobs.submit({ type: "charge", idempotencyKey: "order-sharded" }, apiActor),
      ),
    );
    expect(new Set(results.map((r) => r.jobId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect((await store.readEvents(results[0]?.jobId ?? "")).length).toBe(1);
  });

  it("a delayed job waits in the delayed set, not in a work stream", async () => {
    const { jobs, store, client } = await engine();
    const { jobId, head } = await jobs.submit({ type: "report", delayMs: 60_000 }, apiActor);
    expect(head && statusOf(head.state)).toBe("pending");
    const score = Number(await client.zscore(store.keys.delayed(0), jobId));
    expect(score).toBeGreaterThan(Date.now() + 50_000);
    expect(await client.xlen(store.keys.work(0, "default", "normal"))).toBe(0);
  });

  it("bulk submit pipelines many jobs and reports each bad item by index without blocking the rest", async () => {
    const { jobs, store, client } = await engine();
    const inputs = Array.from({ length: 300 }, (_, i) =>
      i % 100 === 7 ? { type: "" } : { type: "bulk", payload: { i } },
    );
    const results = await jobs.submitMany(inputs, apiActor);
    const failures = results.flatMap((r, i) => (r instanceof InvalidJobSpec ? [i] : []));
    expect(failures).toEqual([7, 107, 207]);
    expect(await client.xlen(store.keys.work(0, "default", "normal"))).toBe(297);
    expect(await client.xlen(store.keys.log(0))).toBe(297);
  });
});

describe("work entries", () => {
  it("a work entry carries its job's head as it was when queued, so a woken worker need not read it", async () => {
    const { jobs, store, client } = await engine();
    const { jobId } = await jobs.submit({ type: "x", payload: { n: 1 } }, apiActor);
    const [[, fields] = ["", []]] = (await client.xrange(
      store.keys.work(0, "default", "normal"),
      "-",
      "+",
    )) as Array<[string, Array<string>]>;
    const entry = Object.fromEntries(
      fields.flatMap((_, i) => (i % 2 === 0 ? [[fields[i], fields[i + 1]]] : [])),
    );
    const head = await store.loadHead(jobId);
    expect(entry).toMatchObject({ jobId, version: String(head?.version), lastHash: head?.lastHash });
    expect(JSON.parse(entry.payload as string)).toEqual({ n: 1 });
    // The spec and live parts of the state (ADR 0013) decode to exactly the stored head.
    expect(decodeHead(jobId, entry.version, entry.lastHash, entry.spec, entry.live, entry.payload)).toEqual(
      head,
    );
    expect(head?.state.value).toBe("queued");
  });
});

describe("a job's own history (ADR 0027: each event stored once)", () => {
  it("is stored once, in the shard log; the job's history is the index of its log entry ids, in seq order", async () => {
    const e = await engine();
    const { jobs, store, client } = e;
    const { jobId } = await jobs.submit({ type: "x", payload: { n: 3 } }, apiActor);
    await workerOn(await e.workerPorts(), { x: () => "done" }, { burst: true }).run();
    const indexed = await client.lrange(store.keys.history(0, jobId), 0, -1);
    const events = await store.readEvents(jobId);
    expect(events.map((ev) => ev.type)).toEqual(["JobSubmitted", "AttemptStarted", "JobCompleted"]);
    expect(events.map((ev) => ev.seq)).toEqual([1, 2, 3]);
    const log = (await client.xrange(store.keys.log(0), "-", "+")) as Array<[string, Array<string>]>;
    const logged = log.filter(([, f]) => f[1] === jobId);
    // Element i names the log entry of seq i + 1, whose fields are as the projector reads them.
    expect(indexed).toEqual(logged.map(([id]) => id));
    expect(logged.map(([, f]) => f)).toEqual(
      events.map((ev) => ["jobId", jobId, "seq", String(ev.seq), "type", ev.type, "env", JSON.stringify(ev)]),
    );
    // The job's own keys are its head and its history index, nothing else; no envelope text
    // is stored outside the log.
    expect((await keysMatching(client, `${e.prefix}:*${jobId}*`)).sort()).toEqual(
      [store.keys.head(0, jobId), store.keys.history(0, jobId)].sort(),
    );
    expect(await client.type(store.keys.history(0, jobId))).toBe("list");
    const head = await client.hgetall(store.keys.head(0, jobId));
    for (const ev of events) expect(Object.values(head)).not.toContain(JSON.stringify(ev));
    // A finished head holds what readers use, nothing else (no logFrom, no createdAt: ADR 0027).
    expect(Object.keys(head).sort()).toEqual([
      "attempt",
      "lastHash",
      "live",
      "payload",
      "spec",
      "status",
      "version",
    ]);
  });

  it("a history whose index names an entry the log does not hold is refused, naming the entry (the seam an archive will answer)", async () => {
    const e = await engine();
    const { jobs, store, client } = e;
    const { jobId } = await jobs.submit({ type: "x" }, apiActor);
    const [entryId] = await client.lrange(store.keys.history(0, jobId), 0, -1);
    await client.xdel(store.keys.log(0), entryId as string);
    await expect(store.readEvents(jobId)).rejects.toThrow(entryId as string);
  });

  it("several histories are read in one call, in the order asked, [] for an unknown job", async () => {
    const e = await engine();
    const { jobs, store } = e;
    const a = await jobs.submit({ type: "x", payload: "a" }, apiActor);
    const b = await jobs.submit({ type: "x", payload: "b" }, apiActor);
    const histories = await store.readEventsMany([b.jobId, "01a20000-0000-7000-8000-000000000000", a.jobId]);
    expect(histories.map((events) => events.map((ev) => ev.jobId))).toEqual([[b.jobId], [], [a.jobId]]);
    expect(histories[0]).toEqual(await store.readEvents(b.jobId));
  });
});

describe("the atomic compare-and-append", () => {
  it("of many concurrent cancels exactly one is appended; the others see it already done", async () => {
    const e = await engine();
    const { jobId } = await e.jobs.submit({ type: "x" }, apiActor);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => e.jobs.cancel(jobId, apiActor, "race")),
    );
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    const events = await e.store.readEvents(jobId);
    expect(events.map((ev) => ev.type)).toEqual(["JobSubmitted", "JobCancelled"]);
    expect(await e.client.xlen(e.store.keys.work(0, "default", "normal"))).toBe(0);
  });

  it("a refused command is a typed CommandRefused with the machine's reason", async () => {
    const e = await engine();
    const { jobId } = await e.jobs.submit({ type: "x" }, apiActor);
    const error = await e.jobs.retry(jobId, apiActor, "not dead").catch((x: unknown) => x);
    expect(error).toBeInstanceOf(CommandRefused);
    expect(error).toMatchObject({ code: "illegal_transition", status: "queued" });
  });
});

describe("when Redis is slow", () => {
  it("a submit whose reply times out says its outcome is unknown and names the job it may have created", async () => {
    const url = redis.url;
    const { connect, whenReady } = await import("../src/infra/redis/connection.ts");
    const { composeEngine } = await import("../src/main.ts");
    const client = await whenReady(connect({ url, commandTimeoutMs: 100 }));
    const blocker = await whenReady(connect({ url, commandTimeoutMs: 5_000 }));
    const { store, jobs } = composeEngine({ client, prefix: `slow-${Date.now()}`, shards: 1 });
    // Connected to the shard's node before it gets busy (a Cluster client connects to each node
    // on first use: a connection opened during the script would time out unsent).
    await client.exists(store.keys.log(0));
    // Keep Redis busy for 400 ms with a script, so the submit's reply comes after its timeout.
    // The script names the shard's log as its key so that, on a cluster, it runs on the node
    // the submit goes to.
    const busy = blocker.eval(
      "local s = redis.call('TIME') repeat local n = redis.call('TIME') until (n[1] - s[1]) * 1000000 + (n[2] - s[2]) > 400000 return 1",
      1,
      store.keys.log(0),
    );
    await new Promise((r) => setTimeout(r, 20));
    const error = await jobs.submit({ type: "x" }, apiActor).catch((x: unknown) => x);
    await busy;
    expect(error).toBeInstanceOf(QueueUnavailable);
    expect(error).toMatchObject({ outcome: "unknown" });
    const jobId = (error as QueueUnavailable).jobId ?? "";
    expect(jobId).not.toBe("");
    // The command did run once Redis was free: the error was right not to promise otherwise.
    const head = await waitFor(() => store.loadHead(jobId).then((h) => h ?? undefined), "the job to appear");
    expect(statusOf(head.state)).toBe("queued");
    client.disconnect();
    blocker.disconnect();
  });
});

describe("when Redis is down", () => {
  it("submit fails fast with a typed unavailable error instead of hanging", async () => {
    // A server of its own even when REDIS_URL is given: this test kills it.
    const own = await startRedis({ own: true });
    const e = await makeEngine(own.url);
    engines.push(e);
    await e.jobs.submit({ type: "x" }, apiActor);
    own.kill();
    const started = Date.now();
    const error = await e.jobs.submit({ type: "x" }, apiActor).catch((x: unknown) => x);
    expect(error).toBeInstanceOf(QueueUnavailable);
    // Sent on a socket that was dying: the client cannot know, so it must not claim "not written".
    expect(["unknown", "not_written"]).toContain((error as QueueUnavailable).outcome);
    expect(Date.now() - started).toBeLessThan(10_000);
    // Once the client knows the connection is down, nothing is sent: certainly not written.
    await waitFor(() => e.client.status !== "ready", "the client to notice");
    const later = await e.jobs.submit({ type: "x" }, apiActor).catch((x: unknown) => x);
    expect(later).toMatchObject({ _tag: "QueueUnavailable", outcome: "not_written" });
    await own.stop();
  });
});
