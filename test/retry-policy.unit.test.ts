import { describe, expect, it } from "vitest";
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import {
  Backoff,
  decide,
  DEFAULT_MAX_DELAY_MS,
  fold,
  isTimestamp,
  MAX_DELAY_MS,
  restoreState,
  retryDelayMs,
} from "../src/domain/index.ts";
import { client, spec, submitted } from "./support/fixtures.ts";

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

  it("a delay is always a whole number from 0 to MAX_DELAY_MS: an overflowing factor is the cap, a zero delay stays 0 (not NaN)", () => {
    const steep = { type: "exponential", delayMs: 1_000, factor: 100, maxDelayMs: MAX_DELAY_MS } as const;
    expect(retryDelayMs(steep, 1_000)).toBe(MAX_DELAY_MS);
    expect(retryDelayMs({ ...steep, delayMs: 0 }, 1_000)).toBe(0);
    // Values the schema refuses (a head written before the bounds) are still capped.
    expect(retryDelayMs({ type: "fixed", delayMs: 9e15 }, 1)).toBe(MAX_DELAY_MS);
    expect(retryDelayMs({ type: "exponential", delayMs: 1, maxDelayMs: 1e16 }, 80)).toBe(MAX_DELAY_MS);
    expect(retryDelayMs({ type: "fixed", delayMs: 10, jitter: 0.5 }, 1, Number.NaN)).toBe(10);
  });

  it("the schema bounds delays and caps to MAX_DELAY_MS and the factor to 1..100", () => {
    const accepts = Schema.is(Backoff);
    expect(accepts({ type: "fixed", delayMs: MAX_DELAY_MS })).toBe(true);
    expect(accepts({ type: "fixed", delayMs: MAX_DELAY_MS + 1 })).toBe(false);
    expect(accepts({ type: "fixed", delayMs: 9e15 })).toBe(false);
    expect(accepts({ type: "exponential", delayMs: 1, maxDelayMs: MAX_DELAY_MS + 1 })).toBe(false);
    expect(accepts({ type: "exponential", delayMs: 1, factor: 101 })).toBe(false);
  });

  it("a retry due after the last instant a Timestamp holds is scheduled at that instant", () => {
    const at = "9999-12-31T23:00:00.000Z";
    const state = fold([submitted(spec({ backoff: { type: "fixed", delayMs: MAX_DELAY_MS } }))]);
    const running = restoreState("processing", { ...state.context, attempt: 1 });
    const error = { code: "handler_error", message: "boom", retryable: true };
    const decision = decide({ type: "FailAttempt", at, actor: client, attempt: 1, error }, running);
    if (Result.isFailure(decision)) throw new Error(decision.failure.message);
    const [event] = decision.success;
    expect(event?.type === "AttemptFailed" && event.data.retryAt).toBe("9999-12-31T23:59:59.999Z");
    expect(isTimestamp("9999-12-31T23:59:59.999Z")).toBe(true);
  });
});
