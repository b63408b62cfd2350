import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_DELAY_MS, retryDelayMs } from "../src/domain/index.ts";

describe("retry policy", () => {
  it("fixed backoff waits the same delay after every attempt", () => {
    const fixed = { type: "fixed", delayMs: 5_000 } as const;
    expect([1, 2, 7].map((n) => retryDelayMs(fixed, n))).toEqual([5_000, 5_000, 5_000]);
  });

  it("exponential backoff multiplies the first delay by the factor per attempt", () => {
    const exp = { type: "exponential", delayMs: 1_000, factor: 3 } as const;
    expect([1, 2, 3, 4].map((n) => retryDelayMs(exp, n))).toEqual([1_000, 3_000, 9_000, 27_000]);
  });

  it("exponential backoff defaults to factor 2 and a 300 s cap", () => {
    const exp = { type: "exponential", delayMs: 1_000 } as const;
    expect(retryDelayMs(exp, 2)).toBe(2_000);
    expect(retryDelayMs(exp, 9)).toBe(256_000);
    expect(retryDelayMs(exp, 10)).toBe(DEFAULT_MAX_DELAY_MS);
    expect(retryDelayMs(exp, 10_000)).toBe(300_000);
  });

  it("an explicit cap bounds every delay", () => {
    expect(retryDelayMs({ type: "exponential", delayMs: 1_000, maxDelayMs: 4_500 }, 5)).toBe(4_500);
  });

  it("jitter only shortens a delay, by at most its fraction, as a function of the draw passed in", () => {
    const jittered = { type: "exponential", delayMs: 10_000, jitter: 0.5 } as const;
    expect(retryDelayMs(jittered, 1, 0)).toBe(10_000);
    expect(retryDelayMs(jittered, 1, 0.5)).toBe(7_500);
    expect(retryDelayMs(jittered, 1, 0.999)).toBe(5_005);
    expect(retryDelayMs(jittered, 1, 0.5)).toBe(retryDelayMs(jittered, 1, 0.5));
  });
});
