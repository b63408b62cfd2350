/**
 * A master of a real local Redis Cluster is SIGKILLed while jobs flow (test/support/cluster.ts):
 * its replica is promoted, the clients follow, and Docket keeps serving.
 *
 * With DOCKET_DURABILITY=replicated no acknowledged submit and no recorded outcome is lost: every
 * job a client was told about ends completed exactly once, and every history verifies. With
 * `async` the test measures what was lost and prints it (bench/RESULTS.md keeps the figures);
 * what is left must still be consistent.
 */
import { afterEach, describe, expect, it } from "vitest";
import { QueueUnavailable } from "../src/engine/shared/index.ts";
import type { Durability } from "../src/infra/redis/durability.ts";
import { durabilityOf } from "../src/infra/redis/durability.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startCluster, type TestCluster } from "./support/cluster.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

const SHARDS = 3;

let cluster: TestCluster | undefined;
let api: TestApi | undefined;
afterEach(async () => {
  await api?.stop();
  await cluster?.stop();
  api = undefined;
  cluster = undefined;
});

/** The API of the test running now. */
const running = (): TestApi => {
  if (api === undefined) throw new Error("no API is running");
  return api;
};

interface Flow {
  /** Jobs the API acknowledged (202), by idempotency key. */
  readonly acknowledged: Map<string, string>;
  /** Handler runs per job id. */
  readonly runs: Map<string, number>;
  /** Submits answered 503 (then retried with the same key). */
  unavailable: number;
}

/** Submits jobs one by one for `ms`, retrying a 503 with the same idempotency key, as a careful client does. */
const submitFor = async (ms: number, flow: Flow): Promise<void> => {
  const until = Date.now() + ms;
  for (let i = 0; Date.now() < until; i++) {
    const key = `job-${i}`;
    for (let attempt = 0; attempt < 200; attempt++) {
      const response = await running().app.inject({
        method: "POST",
        url: "/v1/jobs",
        payload: { type: "work", payload: { i }, idempotencyKey: key },
      });
      if (response.statusCode === 202 || response.statusCode === 200) {
        flow.acknowledged.set(key, response.json<{ id: string }>().id);
        break;
      }
      expect(response.statusCode, response.body).toBe(503);
      flow.unavailable += 1;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
};

const runFlow = async (durability: Durability) => {
  cluster = await startCluster();
  api = await startApi(`redis-cluster://${cluster.seeds}`, { shards: SHARDS, durability });
  const flow: Flow = { acknowledged: new Map(), runs: new Map(), unavailable: 0 };
  const { worker, done } = await startWorker(
    api.engine,
    {
      work: async (_payload: unknown, ctx: { jobId: string }) => {
        flow.runs.set(ctx.jobId, (flow.runs.get(ctx.jobId) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 5));
        return { ok: true };
      },
    },
    { concurrency: 8 },
  );
  try {
    const submitting = submitFor(6_000, flow);
    await new Promise((r) => setTimeout(r, 2_000));
    const [victim] = await cluster.masters();
    victim?.kill();
    const killedAt = Date.now();
    await cluster.healthy(30_000);
    const failoverMs = Date.now() - killedAt;
    // As a supervisor would, start the dead node again: it rejoins as the new master's replica,
    // and until it has synced a write to that shard cannot reach a replica (replicated: 503).
    await victim?.restart();
    await cluster.replicated(30_000);
    await submitting;
    return { flow, failoverMs, worker, done };
  } catch (error) {
    await worker.stop();
    await done;
    throw error;
  }
};

/** What happened to each acknowledged job: its stored status and how many terminal events it has. */
const outcomes = async (ids: ReadonlyArray<string>) => {
  const histories = await running().engine.store.readEventsMany(ids);
  return ids.map((id, i) => {
    const events = histories[i] ?? [];
    return {
      id,
      present: events.length > 0,
      completions: events.filter((e) => e.type === "JobCompleted").length,
    };
  });
};

/**
 * Whether every job's outcome satisfies `settled`. A read refused while the client still learns
 * the new topology is "not yet" (false); one refused until waitFor's deadline fails the test.
 */
const allSettled = async (
  ids: ReadonlyArray<string>,
  settled: (o: Awaited<ReturnType<typeof outcomes>>[number]) => boolean,
): Promise<boolean> => {
  try {
    return (await outcomes(ids)).every(settled);
  } catch (error) {
    if (error instanceof QueueUnavailable) return false;
    throw error;
  }
};

describe("a master SIGKILLed while jobs flow", () => {
  it("replicated: no acknowledged submit or recorded outcome is lost, every job completes exactly once, every history verifies", async () => {
    const { flow, failoverMs, worker, done } = await runFlow(durabilityOf("replicated") as Durability);
    try {
      const ids = [...flow.acknowledged.values()];
      expect(ids.length).toBeGreaterThan(20);
      await waitFor(
        () => allSettled(ids, (o) => o.completions === 1),
        "every acknowledged job to complete",
        60_000,
      ).catch(async (error: unknown) => {
        const stuck = (await outcomes(ids)).filter((o) => o.completions !== 1).slice(0, 5);
        const histories = await running().engine.store.readEventsMany(stuck.map((o) => o.id));
        console.log(
          "STUCK",
          stuck.length,
          JSON.stringify(
            histories.map((h) =>
              h.map((e) => [e.type, e.seq, e.type === "AttemptFailed" ? e.data : null, e.actor]),
            ),
          ),
        );
        console.log("WORKER", JSON.stringify(worker.info()));
        throw error;
      });
      const end = await outcomes(ids);
      expect(end.filter((o) => !o.present)).toEqual([]);
      expect(end.filter((o) => o.completions !== 1)).toEqual([]);
      const verify = await running().app.inject({ method: "POST", url: "/v1/audit/verify", payload: {} });
      expect(verify.json(), verify.body).toMatchObject({ ok: true });
      console.log(
        `replicated: ${ids.length} jobs acknowledged, failover in ${failoverMs} ms, ${flow.unavailable} submits answered 503 and retried, ` +
          `${[...flow.runs.values()].filter((n) => n > 1).length} jobs ran more than once (at-least-once execution), none lost`,
      );
    } finally {
      await worker.stop();
      await done;
    }
  }, 180_000);

  it("async: measures what an acknowledged-but-unreplicated write loses; what remains is consistent", async () => {
    const { flow, failoverMs, worker, done } = await runFlow({ mode: "async" });
    try {
      const ids = [...flow.acknowledged.values()];
      // Let the worker finish what is there; a lost job never appears.
      await waitFor(
        () => allSettled(ids, (o) => !o.present || o.completions === 1),
        "every job still present to complete",
        60_000,
      );
      const end = await outcomes(ids);
      const lost = end.filter((o) => !o.present).length;
      expect(end.filter((o) => o.present && o.completions !== 1)).toEqual([]);
      const verify = await running().app.inject({ method: "POST", url: "/v1/audit/verify", payload: {} });
      expect(verify.statusCode).toBe(200);
      console.log(
        `async: ${ids.length} jobs acknowledged, failover in ${failoverMs} ms, ${lost} acknowledged jobs lost, audit ok=${String(verify.json().ok)}`,
      );
    } finally {
      await worker.stop();
      await done;
    }
  }, 180_000);
});
