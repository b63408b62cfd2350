/**
 * The rate limiter (ADR 0039): claim.lua on a real Redis, driven with a manual clock, admits
 * exactly what the reference GCRA (delivery-policy.ts) admits, in the same order; and the
 * reference never lets more than `count` starts into any window of `windowMs`.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DeliverySettingError,
  gcra,
  MAX_RATE_LIMIT_COUNT,
  MAX_RETAIN_MS,
  parseFairness,
  parseRateLimits,
  type RateLimit,
} from "../src/domain/index.ts";
import { extremeNumber, oddString } from "./support/hostile-values.ts";
import { apiActor, makeEngine, type TestEngine } from "../test/support/engine.ts";
import { startRedis, type TestRedis } from "../test/support/redis.ts";

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

type Step =
  | { readonly kind: "submit"; readonly types: ReadonlyArray<"t1" | "t2"> }
  | { readonly kind: "elapse"; readonly ms: number }
  | { readonly kind: "claim"; readonly count: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("submit" as const),
    types: fc.array(fc.constantFrom("t1" as const, "t2" as const), { minLength: 1, maxLength: 6 }),
  }),
  fc.record({ kind: fc.constant("elapse" as const), ms: fc.integer({ min: 0, max: 700 }) }),
  fc.record({ kind: fc.constant("claim" as const), count: fc.integer({ min: 1, max: 5 }) }),
);

const limitsArb = fc.record({
  queue: fc.option(
    fc.record({ count: fc.integer({ min: 1, max: 4 }), windowMs: fc.integer({ min: 1, max: 1000 }) }),
    {
      nil: undefined,
    },
  ),
  t1: fc.option(
    fc.record({ count: fc.integer({ min: 1, max: 4 }), windowMs: fc.integer({ min: 1, max: 1000 }) }),
    {
      nil: undefined,
    },
  ),
});

/**
 * The model of one claim of one stream, read as claim.lua reads it: in batches of what is still
 * wanted (one at a time while the queue is limited, and not at all once its GCRA refuses),
 * oldest first. An entry of a refused type is put back at the end; an entry put back earlier in
 * this claim ends it (it, and the rest of its batch, are put back again); a short batch means the
 * stream is exhausted.
 */
class Model {
  waiting: Array<{ id: string; type: "t1" | "t2" }> = [];
  private queueTat = 0;
  private typeTat = 0;
  constructor(
    private readonly queueInterval: number | undefined,
    private readonly typeInterval: number | undefined,
  ) {}

  claim(now: number, count: number): Array<string> {
    const admitted: Array<string> = [];
    const putBack = new Set<string>();
    let finished = false;
    while (admitted.length < count && !finished) {
      let n = count - admitted.length;
      if (this.queueInterval !== undefined) {
        if (!gcra(this.queueTat, now, this.queueInterval).admitted) break;
        n = 1;
      }
      const batch = this.waiting.splice(0, n);
      if (batch.length < n) finished = true;
      if (batch.length === 0) break;
      for (const entry of batch) {
        if (putBack.has(entry.id)) {
          this.waiting.push(entry);
          finished = true;
          continue;
        }
        if (entry.type === "t1" && this.typeInterval !== undefined) {
          const decision = gcra(this.typeTat, now, this.typeInterval);
          if (!decision.admitted) {
            this.waiting.push(entry);
            putBack.add(entry.id);
            continue;
          }
          this.typeTat = decision.tat;
        }
        if (this.queueInterval !== undefined)
          this.queueTat = gcra(this.queueTat, now, this.queueInterval).tat;
        admitted.push(entry.id);
      }
    }
    return admitted;
  }
}

describe("the rate limiter", () => {
  it("claim.lua admits exactly the entries the reference GCRA admits, in order, under a manual clock", async () => {
    await fc.assert(
      fc.asyncProperty(
        limitsArb,
        fc.array(stepArb, { minLength: 1, maxLength: 14 }),
        async (limits, steps) => {
          const rateLimits: Array<RateLimit> = [];
          if (limits.queue !== undefined) rateLimits.push({ scope: "queue", name: "q", ...limits.queue });
          if (limits.t1 !== undefined) rateLimits.push({ scope: "type", name: "t1", ...limits.t1 });
          const engine: TestEngine = await makeEngine(redis.url);
          try {
            const ports = await engine.workerPorts({ rateLimits });
            await ports.queue.ensureGroups(["q"]);
            const interval = (l: { count: number; windowMs: number } | undefined) =>
              l === undefined ? undefined : l.windowMs / l.count;
            const model = new Model(interval(limits.queue), interval(limits.t1));
            let now = 1_000_000;
            for (const step of steps) {
              if (step.kind === "elapse") now += step.ms;
              else if (step.kind === "submit") {
                const submitted = await engine.jobs.submitMany(
                  step.types.map((type) => ({ type, queue: "q" })),
                  apiActor,
                );
                submitted.forEach((s, i) => {
                  if (!("jobId" in s)) throw s;
                  model.waiting.push({ id: s.jobId, type: step.types[i] as "t1" | "t2" });
                });
              } else {
                const expected = model.claim(now, step.count);
                const { claimed } = await ports.queue.claimWithWait("c1", ["q"], step.count, { nowMs: now });
                expect(claimed.map((c) => c.jobId)).toEqual(expected);
              }
            }
          } finally {
            await engine.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("the reference GCRA never admits more than count starts in any window of windowMs", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.integer({ min: 0, max: 2_000 }), { maxLength: 200 }),
        (count, windowMs, gaps) => {
          const interval = windowMs / count;
          let tat = 0;
          let now = 0;
          const admitted: Array<number> = [];
          for (const gap of gaps) {
            now += gap;
            const decision = gcra(tat, now, interval);
            if (decision.admitted) admitted.push(now);
            tat = decision.tat;
          }
          for (let i = 0; i < admitted.length; i++) {
            const inWindow = admitted.filter(
              (t) => t >= (admitted[i] as number) && t < (admitted[i] as number) + windowMs,
            );
            expect(inWindow.length).toBeLessThanOrEqual(count);
          }
        },
      ),
    );
  });

  it("any DOCKET_RATE_LIMITS or DOCKET_FAIRNESS text is either real limits and weights or refused with DeliverySettingError", () => {
    const piece = fc.oneof(
      oddString,
      fc.constantFrom(
        "queue:",
        "type:",
        "job:",
        "emails",
        "=",
        "/",
        ",",
        "ms",
        "s",
        "m",
        "h",
        "d",
        ":",
        "-",
        ".",
      ),
      extremeNumber.map(String),
      fc.nat(3_000_000).map(String),
    );
    const text = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(text, (candidate) => {
        for (const parse of [parseRateLimits, parseFairness] as const) {
          let parsed: unknown;
          try {
            parsed = parse(candidate);
          } catch (error) {
            expect(error).toBeInstanceOf(DeliverySettingError);
            continue;
          }
          if (parse === parseRateLimits)
            for (const limit of parsed as ReadonlyArray<RateLimit>) {
              expect(Number.isSafeInteger(limit.count) && limit.count >= 1).toBe(true);
              expect(limit.count).toBeLessThanOrEqual(MAX_RATE_LIMIT_COUNT);
              expect(Number.isSafeInteger(limit.windowMs) && limit.windowMs >= 1).toBe(true);
              expect(limit.windowMs).toBeLessThanOrEqual(MAX_RETAIN_MS);
            }
        }
      }),
    );
    // And the well-formed ones it is meant for are read, whatever their numbers within bounds.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_RATE_LIMIT_COUNT }),
        fc.integer({ min: 1, max: 100_000 }),
        (count, windowMs) => {
          expect(parseRateLimits(`queue:q=${count}/${windowMs}ms`)).toEqual([
            { scope: "queue", name: "q", count, windowMs },
          ]);
        },
      ),
    );
  });
});
