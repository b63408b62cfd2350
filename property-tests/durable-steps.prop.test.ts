/**
 * Durable steps (ADR 0043) under random handlers on a real Worker and a real Redis: each job is a
 * random sequence of steps and sleeps, and each attempt fails (retryably) after a random number of
 * them. Whatever the sequence, a recorded step's function runs at most once per job across
 * attempts, the job completes with the recorded results, and the audit verifier passes it.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextOf, statusOf } from "../src/domain/index.ts";
import type { Handler, Worker } from "../src/engine/worker/index.ts";
import { auditOf } from "../test/support/audit.ts";
import { apiActor, makeEngine, type TestEngine } from "../test/support/engine.ts";
import { startRedis, type TestRedis } from "../test/support/redis.ts";
import { waitFor } from "../test/support/wait.ts";
import { startWorker } from "../test/support/workers.ts";

type Item = "step" | "sleep";
interface Plan {
  readonly items: ReadonlyArray<Item>;
  /** Attempt a (by attempts used) fails after `failAfter[a - 1]` items; later ones finish. */
  readonly failAfter: ReadonlyArray<number>;
}

const planArb: fc.Arbitrary<Plan> = fc
  .array(fc.constantFrom<Item>("step", "step", "sleep"), { minLength: 1, maxLength: 5 })
  .chain((items) =>
    fc.record({
      items: fc.constant(items),
      failAfter: fc.array(fc.nat(items.length), { maxLength: 3 }),
    }),
  );

let redis: TestRedis;
let engine: TestEngine;
let worker: Worker;
const plans = new Map<string, Plan>();
/** Every run of a step function: job, step index, and the attempt it ran in. */
const runs: Array<{ jobId: string; index: number; attempt: number }> = [];

const handler: Handler = async (payload, ctx) => {
  const plan = plans.get((payload as { plan: string }).plan) as Plan;
  const head = await engine.store.loadHead(ctx.jobId);
  const used = ctx.attempt - (head === null ? 0 : contextOf(head.state).suspensions);
  const results: Array<unknown> = [];
  for (const [index, item] of plan.items.entries()) {
    if (plan.failAfter[used - 1] === index) throw new Error(`attempt ${ctx.attempt} fails after ${index}`);
    if (item === "sleep") await ctx.sleep(`nap-${index}`, 5);
    else
      results.push(
        await ctx.step(
          "item",
          () => (runs.push({ jobId: ctx.jobId, index, attempt: ctx.attempt }), ctx.attempt),
          {
            index,
          },
        ),
      );
  }
  return results;
};

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
  ({ worker } = await startWorker(engine, { durable: handler }, { leaseMs: 60_000, concurrency: 4 }));
});
afterAll(async () => {
  await worker.stop(100);
  await engine.close();
  await redis.stop();
});

let planCount = 0;

describe("durable steps under random handlers", () => {
  it("a recorded step's function runs at most once per job across attempts", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(planArb, { minLength: 1, maxLength: 4 }), async (batch) => {
        const ids = await Promise.all(
          batch.map(async (plan) => {
            const name = `p${++planCount}`;
            plans.set(name, plan);
            const { jobId } = await engine.jobs.submit(
              {
                type: "durable",
                payload: { plan: name },
                maxAttempts: plan.failAfter.length + 1,
                backoff: { type: "fixed", delayMs: 0 },
              },
              apiActor,
            );
            return jobId;
          }),
        );
        for (const jobId of ids) {
          await waitFor(
            async () => statusOf((await engine.jobs.get(jobId)).state) === "completed",
            `job ${jobId} to complete`,
            20_000,
          );
          const events = await engine.store.readEvents(jobId);
          const recorded = new Map<number, number>();
          for (const e of events)
            if (e.type === "StepCompleted") {
              expect(recorded.has(e.data.index ?? -1), `step ${e.data.index} recorded twice`).toBe(false);
              recorded.set(e.data.index ?? -1, e.data.attempt);
            }
          for (const [index, attempt] of recorded) {
            const mine = runs.filter((r) => r.jobId === jobId && r.index === index);
            // It ran once, in the attempt that recorded it, and never after.
            expect(mine.map((r) => r.attempt)).toEqual([attempt]);
          }
          // The job's result is the recorded results, in order: replayed, never recomputed.
          expect(contextOf((await engine.jobs.get(jobId)).state).result).toEqual([...recorded.values()]);
          expect((await auditOf(engine).verify({ jobId })).failures).toEqual([]);
        }
      }),
      { numRuns: 15 },
    );
  }, 300_000);
});
