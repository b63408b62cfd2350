/**
 * The retry policy: how long to wait before attempt n+1 after attempt n failed.
 *
 * A pure function of the policy, the attempt number and a random draw passed in as data, so a
 * replay or a test gets the same delay every time. The draw is recorded indirectly: the decider
 * writes the resulting `retryAt` into the AttemptFailed event.
 */
import * as Schema from "effect/Schema";
import { MAX_BACKOFF_FACTOR, MAX_DELAY_MS } from "./limits.ts";

/** The default cap of an exponential backoff, in milliseconds (5 minutes). */
export const DEFAULT_MAX_DELAY_MS = 300_000;
export const DEFAULT_BACKOFF_FACTOR = 2;

/** A backoff's delays and cap: whole milliseconds, 0 to MAX_DELAY_MS. */
const DelayMs = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: MAX_DELAY_MS }));

/** Fraction (0..1) of each delay that is randomised downwards, to spread retries apart. */
const Jitter = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }));

export const FixedBackoff = Schema.Struct({
  type: Schema.Literal("fixed"),
  delayMs: DelayMs,
  jitter: Schema.optionalKey(Jitter),
});

export const ExponentialBackoff = Schema.Struct({
  type: Schema.Literal("exponential"),
  /** Delay before the first retry; each later retry multiplies it by `factor`. */
  delayMs: DelayMs,
  factor: Schema.optionalKey(
    Schema.Finite.check(Schema.isBetween({ minimum: 1, maximum: MAX_BACKOFF_FACTOR })),
  ),
  /** Upper bound of any single delay; defaults to 300 s. */
  maxDelayMs: Schema.optionalKey(DelayMs),
  jitter: Schema.optionalKey(Jitter),
});

export const Backoff = Schema.Union([FixedBackoff, ExponentialBackoff]);
export type Backoff = typeof Backoff.Type;

export const DEFAULT_BACKOFF: Backoff = { type: "exponential", delayMs: 1_000 };

/**
 * Milliseconds to wait after failed attempt `attempt` (1-based) before the next one: a whole
 * number from 0 to MAX_DELAY_MS, whatever the policy (an exponential delay that overflows to
 * Infinity is its cap, never NaN).
 *
 * @param random a draw in [0, 1); only used when the policy has jitter. Jitter only ever
 *   shortens a delay, so the cap stays a true upper bound.
 */
export const retryDelayMs = (backoff: Backoff, attempt: number, random = 0): number => {
  const cap =
    backoff.type === "fixed"
      ? MAX_DELAY_MS
      : Math.min(backoff.maxDelayMs ?? DEFAULT_MAX_DELAY_MS, MAX_DELAY_MS);
  // 0 × Infinity is NaN: a zero delay stays zero however far the factor grows.
  const base =
    backoff.type === "fixed" || backoff.delayMs === 0
      ? backoff.delayMs
      : backoff.delayMs * (backoff.factor ?? DEFAULT_BACKOFF_FACTOR) ** Math.max(0, attempt - 1);
  const bounded = Number.isFinite(base) && base >= 0 ? Math.min(base, cap) : cap;
  const jitter = backoff.jitter ?? 0;
  const draw = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0;
  return Math.round(bounded - bounded * jitter * draw);
};
