/**
 * The sibling of handler-outcomes.prop.test.ts under thread isolation (ADR 0040): for any handler
 * behaviour in a thread — throw or return anything, log, report progress or set meta with
 * anything, spin forever, never resolve, exit its thread, die of an uncaught exception — the job
 * reaches a terminal or retry state with an outcome the worker itself recorded, within the lease;
 * every event it left is one every reader accepts; and the worker serves on with at most its
 * concurrency of threads.
 */
import * as Result from "effect/Result";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeEnvelope, type Envelope, replay } from "../src/domain/index.ts";
import type { Worker } from "../src/engine/worker/index.ts";
import { apiActor, makeEngine, type TestEngine } from "../test/support/engine.ts";
import { startRedis, type TestRedis } from "../test/support/redis.ts";
import { startWorker } from "../test/support/workers.ts";
import { ENDINGS } from "./support/thread-behaviours.ts";

const LEASE_MS = 10_000;
const CONCURRENCY = 2;

let redis: TestRedis;
let engine: TestEngine;
let worker: Worker;

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
  ({ worker } = await startWorker(
    engine,
    {},
    {
      leaseMs: LEASE_MS,
      concurrency: CONCURRENCY,
      isolation: { kind: "thread", module: new URL("./support/thread-behaviours.ts", import.meta.url).href },
    },
  ));
}, 60_000);
afterAll(async () => {
  await worker.stop(100);
  await engine.close();
  await redis.stop();
});

/** Poll the job's own history until attempt 1 has an outcome, for at most the lease and a margin. */
const outcomeOf = async (jobId: string): Promise<ReadonlyArray<Envelope>> => {
  const deadline = Date.now() + LEASE_MS + 5_000;
  for (;;) {
    const events = await engine.store.readEvents(jobId);
    if (events.some((e) => e.type === "JobCompleted" || e.type === "AttemptFailed")) return events;
    if (Date.now() > deadline)
      throw new Error(`job ${jobId}: no outcome within the lease (${events.map((e) => e.type)})`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("hostile handlers in threads", () => {
  it("for any handler behaviour in a thread, the job reaches a terminal or retry state with a recorded outcome before its lease", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.constantFrom(...ENDINGS),
        fc.constantFrom(1, 2),
        async (seed, ending, maxAttempts) => {
          const { jobId } = await engine.jobs.submit(
            {
              type: "behave",
              payload: { seed, ending },
              maxAttempts,
              timeoutMs: 300,
              backoff: { type: "fixed", delayMs: 60_000 },
            },
            apiActor,
          );
          const events = await outcomeOf(jobId);
          const started = events.find((e) => e.type === "AttemptStarted");
          const outcome = events.find((e) => e.type === "JobCompleted" || e.type === "AttemptFailed");
          if (started === undefined || outcome === undefined) throw new Error("no attempt or no outcome");
          expect(outcome.actor.kind).toBe("worker");
          if (outcome.type === "AttemptFailed") {
            expect(outcome.data.error.code).not.toBe("lease_expired");
            if (ending === "spin" || ending === "never") expect(outcome.data.error.code).toBe("timeout");
            if (ending === "exit") expect(outcome.data.error.code).toBe("handler_crashed");
          }
          expect(Date.parse(outcome.at) - Date.parse(started.at)).toBeLessThan(LEASE_MS);
          const status = (await engine.jobs.get(jobId)).state.value;
          expect(["completed", "failed", "dead_letter"]).toContain(status);
          for (const envelope of events) {
            const decoded = decodeEnvelope(JSON.parse(JSON.stringify(envelope)));
            expect(Result.isSuccess(decoded), Result.isFailure(decoded) ? decoded.failure : "").toBe(true);
          }
          expect(Result.isSuccess(replay(events))).toBe(true);
          expect(worker.threads?.threads).toBeLessThanOrEqual(CONCURRENCY);
        },
      ),
      { numRuns: 25 },
    );
  }, 240_000);
});
