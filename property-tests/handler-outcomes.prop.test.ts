/**
 * For any handler behaviour — throw anything, return anything, log or report progress with
 * anything — the job reaches a terminal or retry state with a recorded outcome before its lease
 * (issue 11 §4, ADR 0018). A real Worker on a real Redis runs generated behaviours; each attempt
 * must end with a JobCompleted or AttemptFailed the worker itself recorded (never lease_expired),
 * within the lease, and every event it left must be one every reader accepts.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Handler, HandlerContext, Worker } from "../src/engine/worker/index.ts";
import { apiActor, makeEngine, type TestEngine } from "../test/support/engine.ts";
import { eventLogOf } from "../test/support/projection.ts";
import { startRedis, type TestRedis } from "../test/support/redis.ts";
import { startWorker } from "../test/support/workers.ts";
import { extremeNumber, handlerValue } from "./support/hostile-values.ts";
import { expectRecordedOutcome } from "./support/recorded-outcome.ts";

const LEASE_MS = 5_000;

let redis: TestRedis;
let engine: TestEngine;
let worker: Worker;
const behaviours = new Map<string, Handler>();

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
  const handlers = new Proxy({} as Record<string, Handler>, {
    get: (_target, type) => (typeof type === "string" ? behaviours.get(type) : undefined),
  });
  ({ worker } = await startWorker(engine, handlers, { leaseMs: LEASE_MS, concurrency: 4 }));
}, 60_000);
afterAll(async () => {
  await worker.stop(100);
  await engine.close();
  await redis.stop();
});

type Step =
  | { readonly kind: "log"; readonly line: unknown; readonly awaited: boolean }
  | {
      readonly kind: "progress";
      readonly current: unknown;
      readonly total: unknown;
      readonly message: unknown;
      readonly awaited: boolean;
    };

type Ending = { readonly kind: "throw" | "reject" | "return" | "resolve"; readonly value: unknown };

const number = fc.oneof(fc.nat(10), extremeNumber, handlerValue);

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("log" as const),
    line: fc.oneof(fc.string(), handlerValue),
    awaited: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("progress" as const),
    current: number,
    total: number,
    message: fc.oneof(fc.constant(undefined), fc.string(), handlerValue),
    awaited: fc.boolean(),
  }),
);

const behaviour = fc.record({
  steps: fc.array(step, { maxLength: 3 }),
  ending: fc.record({ kind: fc.constantFrom("throw", "reject", "return", "resolve"), value: handlerValue }),
  maxAttempts: fc.constantFrom(1, 2),
});

const handlerFor = (steps: ReadonlyArray<Step>, ending: Ending): Handler =>
  async function hostile(_payload: unknown, ctx: HandlerContext) {
    for (const s of steps) {
      const done =
        s.kind === "log"
          ? ctx.log(s.line as string)
          : ctx.progress(s.current as number, s.total as number, s.message as string);
      if (s.awaited) await done;
    }
    switch (ending.kind) {
      case "throw":
        throw ending.value;
      case "reject":
        return Promise.reject(ending.value);
      case "return":
        return ending.value;
      case "resolve":
        return Promise.resolve(ending.value);
    }
  };

let counter = 0;

describe("hostile handlers", () => {
  it("for any handler behaviour, the job reaches a terminal or retry state with a recorded outcome before its lease", async () => {
    await fc.assert(
      fc.asyncProperty(behaviour, async ({ steps, ending, maxAttempts }) => {
        const type = `prop-${++counter}`;
        behaviours.set(type, handlerFor(steps, ending));
        const { jobId } = await engine.jobs.submit(
          { type, maxAttempts, backoff: { type: "fixed", delayMs: 60_000 } },
          apiActor,
        );
        await expectRecordedOutcome(engine, jobId, LEASE_MS, 2_000);
        behaviours.delete(type);
      }),
      { numRuns: 100 },
    );
    // The projector's own decoder reads the whole log.
    const { log, close } = await eventLogOf(redis.url, engine);
    try {
      expect((await log.read(0, "0-0", 100_000)).length).toBeGreaterThan(100);
    } finally {
      close();
    }
  });
});
