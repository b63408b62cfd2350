/**
 * The sibling of handler-outcomes.prop.test.ts under thread isolation (ADR 0040): for any handler
 * behaviour in a thread — throw or return anything, log, report progress or set meta with
 * anything, spin forever, never resolve, exit its thread, die of an uncaught exception — the job
 * reaches a terminal or retry state with an outcome the worker itself recorded, within the lease;
 * every event it left is one every reader accepts; and the worker serves on with at most its
 * concurrency of threads.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Worker } from "../src/engine/worker/index.ts";
import { apiActor, makeEngine, type TestEngine } from "../test/support/engine.ts";
import { startRedis, type TestRedis } from "../test/support/redis.ts";
import { startWorker } from "../test/support/workers.ts";
import { expectRecordedOutcome } from "./support/recorded-outcome.ts";
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
          const outcome = await expectRecordedOutcome(engine, jobId, LEASE_MS, 5_000);
          if (outcome.type === "AttemptFailed") {
            if (ending === "spin" || ending === "never") expect(outcome.data.error.code).toBe("timeout");
            if (ending === "exit") expect(outcome.data.error.code).toBe("handler_crashed");
          }
          expect(worker.threads?.threads).toBeLessThanOrEqual(CONCURRENCY);
        },
      ),
      { numRuns: 25 },
    );
  }, 240_000);
});
