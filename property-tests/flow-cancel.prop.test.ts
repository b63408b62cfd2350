/**
 * Cancelling a flow's parent (ADR 0042) with any reason a caller can send, on a real Redis: the
 * cascade's causes are composed from that reason and cut to fit an event, so a reason that is
 * long, astral or malformed must never leave a child running behind a cancelled parent. This is
 * the property that would have caught a cause cut inside a surrogate pair (the child's cancel
 * was refused as unhashable, and the child ran on).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_REASON_LENGTH, statusOf } from "../src/domain/index.ts";
import { InvalidJobSpec } from "../src/engine/shared/index.ts";
import { apiActor, makeEngine, type TestEngine } from "../test/support/engine.ts";
import { startRedis, type TestRedis } from "../test/support/redis.ts";

let redis: TestRedis;
let engine: TestEngine;

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url, { shards: 2 });
});
afterAll(async () => {
  await engine.close();
  await redis.stop();
});

/** Reasons: short and long, ASCII, astral (pairs) and raw UTF-16 (lone halves included). */
const reasonArb = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: MAX_REASON_LENGTH / 2 }),
  fc.string({ unit: "binary", minLength: MAX_REASON_LENGTH / 2 - 40, maxLength: MAX_REASON_LENGTH / 2 }),
  fc.string({
    unit: fc.constantFrom("🦆", "a", "é", "\ud800"),
    minLength: 400,
    maxLength: MAX_REASON_LENGTH,
  }),
);

describe("a flow parent's cancel", () => {
  it("for any reason: either refused as a reason no event can hold with nothing changed, or the parent and every descendant end cancelled, each cause well-formed and within the limit", async () => {
    await fc.assert(
      fc.asyncProperty(reasonArb, async (reason) => {
        const { jobId } = await engine.jobs.submitFlow(
          {
            job: { type: "parent", queue: "idle" },
            children: [
              { job: { type: "child", queue: "idle" } },
              {
                job: { type: "parent", queue: "idle" },
                children: [{ job: { type: "child", queue: "idle" } }],
              },
            ],
          },
          apiActor,
        );
        const tree = await engine.jobs.tree(jobId);
        const descendants = tree.dependencies.flatMap((c) => [c.id, ...c.dependencies.map((g) => g.id)]);
        const all = [jobId, ...descendants];
        const versions = async () => Promise.all(all.map(async (id) => (await engine.jobs.get(id)).version));
        const before = await versions();
        const cancelled = await engine.jobs.cancel(jobId, apiActor, reason).then(
          () => true,
          (error: unknown) => {
            expect(error).toBeInstanceOf(InvalidJobSpec);
            return false;
          },
        );
        if (!cancelled) {
          // Refused only as a reason no event can hold: empty, malformed or too long.
          expect(reason.length === 0 || !reason.isWellFormed() || reason.length > MAX_REASON_LENGTH).toBe(
            true,
          );
          expect(await versions()).toEqual(before);
          return;
        }
        for (const id of all) expect(statusOf((await engine.jobs.get(id)).state)).toBe("cancelled");
        for (const id of descendants) {
          const last = (await engine.store.readEvents(id)).at(-1);
          const cause = last?.type === "JobCancelled" ? (last.data.reason ?? "") : "";
          expect(cause.isWellFormed()).toBe(true);
          expect(cause.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
          expect(cause.startsWith("parent ")).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });
});
