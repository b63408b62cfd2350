/**
 * Retention and purges over any mix and order of finished jobs, on a real Redis (ADR 0034,
 * amended): completed, dead-lettered and cancelled jobs, each under the deployment's retention,
 * its own retainMs of 0, or its own longest retention (3,650 days), ending in any order, with
 * retention taking them in batches of any size.
 *
 * Invariant: one retention pass records JobEvicted for exactly the jobs past their retention,
 * whatever jobs it must leave alone sit before them in its indexes; and a purge with a limit
 * records min(limit, what is left) each time — never 0 while an eligible job remains — until
 * every finished job of that status is recorded, each once.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_RETAIN_MS } from "../src/domain/limits.ts";
import type { RetentionPolicy } from "../src/engine/archive/index.ts";
import type { Clock } from "../src/engine/shared/index.ts";
import type { Handlers } from "../src/engine/worker/index.ts";
import { apiActor, makeEngine } from "../test/support/engine.ts";
import { startRedis, type TestRedis } from "../test/support/redis.ts";
import { retentionOf } from "../test/support/retention.ts";
import { startWorker } from "../test/support/workers.ts";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
}, 60_000);
afterAll(async () => {
  await redis?.stop();
});

const SHARDS = 2;
const RETENTION: RetentionPolicy = { completedMs: 60_000, cancelledMs: 60_000, deadLetterMs: 60_000 };
const operator = { kind: "operator" as const, id: "property" };
const handlers: Handlers = {
  echo: async (payload) => payload,
  broken: async () => {
    throw Object.assign(new Error("bad input"), { retryable: false });
  },
};

type End = "completed" | "dead_letter" | "cancelled";
type Retain = "deployment" | "zero" | "longest";
interface JobPlan {
  readonly end: End;
  readonly retain: Retain;
}

const plan: fc.Arbitrary<JobPlan> = fc.record({
  end: fc.constantFrom<End>("completed", "dead_letter", "cancelled"),
  retain: fc.constantFrom<Retain>("deployment", "zero", "longest"),
});

const retainMsOf = (retain: Retain) =>
  retain === "zero" ? { retainMs: 0 } : retain === "longest" ? { retainMs: MAX_RETAIN_MS } : {};

describe("retention order", () => {
  it("one retention pass records exactly the jobs past their retention, and each purge with a limit records min(limit, what is left) until none is left", async () => {
    const runs = Number(process.env.FC_NUM_RUNS ?? 1000);
    await fc.assert(
      fc.asyncProperty(
        fc.array(plan, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        async (plans, batch, limit) => {
          let offset = 0;
          const clock: Clock = { now: () => Date.now() + offset };
          const engine = await makeEngine(redis.url, { shards: SHARDS, clock });
          try {
            const jobs: Array<JobPlan & { readonly id: string }> = [];
            for (const p of plans) {
              const spec =
                p.end === "completed"
                  ? { type: "echo" }
                  : p.end === "dead_letter"
                    ? { type: "broken", maxAttempts: 1 }
                    : { type: "echo", delayMs: 3_600_000 };
              const { jobId } = await engine.jobs.submit({ ...spec, ...retainMsOf(p.retain) }, apiActor);
              if (p.end === "cancelled") await engine.jobs.cancel(jobId, apiActor, "not needed");
              jobs.push({ ...p, id: jobId });
            }
            await (
              await startWorker(engine, handlers, { burst: true, concurrency: 1, clock, queues: ["default"] })
            ).done;
            const retention = retentionOf(engine, { clock, policy: RETENTION, shards: SHARDS, batch });
            const evicted = async () => {
              const found = new Set<string>();
              for (const job of jobs)
                if ((await engine.jobs.events(job.id)).some((e) => e.type === "JobEvicted"))
                  found.add(job.id);
              return found;
            };

            offset += RETENTION.completedMs + 10_000;
            const due = jobs.filter((job) => job.retain !== "longest").map((job) => job.id);
            expect(await retention.recordDue()).toBe(due.length);
            expect([...(await evicted())].sort()).toEqual([...due].sort());

            for (const status of ["completed", "dead_letter", "cancelled"] as const) {
              let left = jobs.filter((job) => job.end === status && job.retain === "longest").length;
              for (;;) {
                const purged = await retention.purge({ status, olderThanMs: 1_000, actor: operator, limit });
                expect(purged).toBe(Math.min(limit, left));
                left -= purged;
                if (purged === 0) break;
              }
            }
            // Every job is recorded once, and only once.
            for (const job of jobs)
              expect((await engine.jobs.events(job.id)).filter((e) => e.type === "JobEvicted")).toHaveLength(
                1,
              );
          } finally {
            await engine.close();
          }
        },
      ),
      { numRuns: Math.min(runs, 25) },
    );
  });
});
