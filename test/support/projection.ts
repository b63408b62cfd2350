/**
 * Helpers for projection tests: a mixed workload on a real engine, and the check of DESIGN §7
 * invariant 8 — the projection equals the fold of the log up to its checkpoint.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { statusOf } from "../../src/domain/index.ts";
import { NonRetryableError } from "../../src/engine/worker/index.ts";
import { type ProjectionStore, viewOf } from "../../src/engine/read/index.ts";
import { connectBlocking, whenReady } from "../../src/infra/redis/connection.ts";
import { RedisEventLog } from "../../src/infra/redis/redis-event-log.ts";
import { apiActor, type TestEngine } from "./engine.ts";
import { waitFor } from "./wait.ts";
import { startWorker } from "./workers.ts";

export const tempDbPath = (name = "docket.sqlite"): string =>
  join(mkdtempSync(join(tmpdir(), "docket-projection-")), name);

/** An EventLog on the engine's keys, with its own blocking connection (closed by `close`). */
export const eventLogOf = async (url: string, engine: TestEngine) => {
  const blockingClient = await whenReady(connectBlocking({ url }));
  const log = new RedisEventLog({
    client: engine.client,
    blockingClient,
    prefix: engine.prefix,
    shards: engine.store.keys.shards,
  });
  return { log, close: () => blockingClient.disconnect() };
};

const TERMINAL = new Set(["completed", "cancelled", "dead_letter"]);

/**
 * Successes (with progress and logs), a retry then success, dead letters (non-retryable and
 * retries spent), a cancel of a running job, delayed jobs and a manual retry of a dead letter.
 * Returns every job id once all of them are terminal.
 */
export const runMixedJobs = async (engine: TestEngine, count = 40): Promise<ReadonlyArray<string>> => {
  const { worker } = await startWorker(
    engine,
    {
      ok: async (payload, ctx) => {
        await ctx.progress(1, 2, "half");
        await ctx.log("working");
        return { echo: payload };
      },
      flaky: (_payload, ctx) => {
        if (ctx.attempt === 1) throw new Error("first attempt fails");
        return "second time lucky";
      },
      fatal: () => {
        throw new NonRetryableError("cannot ever work");
      },
      doomed: () => {
        throw new Error("always fails");
      },
      slow: (_payload, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener("abort", () => reject(new Error("aborted"))),
        ),
    },
    { concurrency: 8 },
  );
  const fast = { type: "fixed" as const, delayMs: 5 };
  const ids: Array<string> = [];
  const submit = async (request: Record<string, unknown>) => {
    const { jobId } = await engine.jobs.submit(request, apiActor);
    ids.push(jobId);
    return jobId;
  };
  const slow: Array<string> = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 6;
    if (kind === 0) await submit({ type: "ok", payload: { i } });
    if (kind === 1) await submit({ type: "flaky", backoff: fast, maxAttempts: 3 });
    if (kind === 2) await submit({ type: "fatal" });
    if (kind === 3) await submit({ type: "doomed", backoff: fast, maxAttempts: 2 });
    if (kind === 4) await submit({ type: "ok", payload: { delayed: i }, delayMs: 150 });
    if (kind === 5) slow.push(await submit({ type: "slow", queue: i % 2 === 0 ? "default" : "other" }));
  }
  // Slow jobs: cancel them, running or not.
  for (const id of slow) await engine.jobs.cancel(id, apiActor, "test cancels it");
  const isTerminal = async (id: string) => TERMINAL.has(statusOf((await engine.jobs.get(id)).state));
  const firstDead = await waitFor(async () => {
    for (const id of ids) if (statusOf((await engine.jobs.get(id)).state) === "dead_letter") return id;
    return undefined;
  }, "a dead letter");
  await engine.jobs.retry(firstDead, { kind: "operator", id: "alice" }, "try once more", 1);
  await waitFor(
    async () => {
      for (const id of ids) if (!(await isTerminal(id))) return false;
      return true;
    },
    "every job to end",
    30_000,
  );
  await worker.stop(100);
  return ids;
};

/** Invariant 8: every row equals the fold of the log; events equal the streams; checkpoint at the end. */
export const expectProjectionEqualsFold = async (
  engine: TestEngine,
  store: ProjectionStore,
  jobIds: ReadonlyArray<string>,
): Promise<void> => {
  for (const id of jobIds) {
    const events = await engine.store.readEvents(id);
    expect(store.job(id), `job ${id}`).toEqual(viewOf(events));
    expect(store.jobEvents(id), `events of ${id}`).toEqual(events);
  }
  const { client, store: redisStore } = engine;
  const checkpoints = new Map(store.checkpoints().map((c) => [c.shard, c]));
  let logLength = 0;
  for (const shard of redisStore.keys.allShards()) {
    const key = redisStore.keys.log(shard);
    logLength += await client.xlen(key);
    const [last] = await client.xrevrange(key, "+", "-", "COUNT", 1);
    if (last === undefined) continue;
    const [entryId, fields] = last;
    const env = JSON.parse(fields[fields.indexOf("env") + 1] as string) as { hash: string };
    expect(checkpoints.get(shard), `checkpoint of shard ${shard}`).toEqual({
      shard,
      entryId,
      hash: env.hash,
    });
  }
  const projected = jobIds.reduce((sum, id) => sum + store.jobEvents(id).length, 0);
  expect(projected).toBe(logLength);
};
