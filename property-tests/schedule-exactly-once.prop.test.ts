/**
 * Exactly once under any interleaving (ADR 0037): three schedulers on their own connections to
 * one real Redis, run in any grouping (concurrent passes, one at a time), with the clock moved
 * by any amounts (on time, within grace, far beyond) and operators pausing and resuming in
 * between. Every tick in the history is after the one before (none twice), every fired tick has
 * its own job, and that job is the one its tick's idempotency key names.
 */
import fc from "fast-check";
import { connect, type RedisClient, whenReady } from "../src/infra/redis/connection.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScheduleEnvelope } from "../src/domain/index.ts";
import { tickKey } from "../src/engine/schedule/index.ts";
import { composeEngine, type Engine } from "../src/main.ts";
import { apiActor } from "../test/support/engine.ts";
import { ManualClock } from "../test/support/manual-clock.ts";
import { startRedis, type TestRedis, uniquePrefix } from "../test/support/redis.ts";

let redis: TestRedis;
const clients: Array<RedisClient> = [];

beforeAll(async () => {
  redis = await startRedis();
  for (let i = 0; i < 3; i++) clients.push(await whenReady(connect({ url: redis.url })));
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis.stop();
});

type Step =
  | { readonly kind: "advance"; readonly ms: number }
  | { readonly kind: "passes"; readonly who: ReadonlyArray<number> }
  | { readonly kind: "pause" | "resume" };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 120_000 })),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("passes" as const),
      who: fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom({ kind: "pause" as const }, { kind: "resume" as const }) },
);

describe("schedulers racing", () => {
  it("under any interleaving of passes, clock moves, pauses and resumes, no tick is recorded twice and each fired tick has its own job, the one its key names", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("* * * * * *", "*/2 * * * * *", "0 * * * * *"),
        fc.constantFrom("none", "last", "all"),
        fc.constantFrom("allow", "skip"),
        fc.array(step, { minLength: 1, maxLength: 25 }),
        async (cron, catchUp, overlap, steps) => {
          const clock = new ManualClock(Date.UTC(2026, 0, 1));
          const prefix = uniquePrefix();
          const engines: Array<Engine> = clients.map((client) =>
            composeEngine({ client, prefix, shards: 1, clock }),
          );
          const first = engines[0] as Engine;
          const created = await first.schedules.create(
            { name: "race", cron, job: { type: "tick" }, catchUp, catchUpMax: 3, overlap },
            apiActor,
          );
          const schedulers = engines.map((engine, i) => engine.scheduler({ id: `s${i}` }));
          for (const s of steps) {
            if (s.kind === "advance") clock.advance(s.ms);
            else if (s.kind === "passes") await Promise.all(s.who.map((i) => schedulers[i]?.runOnce()));
            else await first.schedules[s.kind]("race", apiActor).catch(() => undefined);
          }
          const { events, report } = await first.schedules.history("race");
          expect(report.ok).toBe(true);
          const handled = (events as ReadonlyArray<ScheduleEnvelope>).flatMap((e) =>
            e.type === "ScheduleFired" || e.type === "ScheduleSkipped" ? [e] : [],
          );
          const ticks = handled.map((e) => Date.parse(e.data.tick));
          for (let i = 1; i < ticks.length; i++) expect(ticks[i]).toBeGreaterThan(ticks[i - 1] as number);
          const fired = handled.filter(
            (e): e is ScheduleEnvelope & { type: "ScheduleFired" } => e.type === "ScheduleFired",
          );
          expect(new Set(fired.map((e) => e.data.jobId)).size).toBe(fired.length);
          for (const e of fired) {
            const key = `${prefix}:{0}:idem:${tickKey("race", created.createdAt, Date.parse(e.data.tick))}`;
            expect(await (clients[0] as RedisClient).get(key)).toBe(e.data.jobId);
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 300_000);
});
