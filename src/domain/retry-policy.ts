/**
 * The retry policy: how long to wait before attempt n+1 after attempt n failed.
 *
 * A pure function of the policy, the attempt number and a random draw passed in as data, so a
 * replay or a test gets the same delay every time. The draw is recorded indirectly: the decider
 * writes the resulting `retryAt` into the AttemptFailed event.
 */
import * as Schema from "effect/Schema";

/** The default and maximum cap of an exponential backoff, in milliseconds (5 minutes). */
export const DEFAULT_MAX_DELAY_MS = 300_000;
export const DEFAULT_BACKOFF_FACTOR = 2;

const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));

export const FixedBackoff = Schema.Struct({
  type: Schema.Literal("fixed"),
  delayMs: NonNegativeInt,
  /** Fraction (0..1) of each delay that is randomised downwards, to spread retries apart. */
  jitter: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
});

export const ExponentialBackoff = Schema.Struct({
  type: Schema.Literal("exponential"),
  /** Delay before the first retry; each later retry multiplies it by `factor`. */
  delayMs: NonNegativeInt,
  factor: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 1, maximum: 100 }))),
  /** Upper bound of any single delay; defaults to 300 s. */
  maxDelayMs: Schema.optionalKey(NonNegativeInt),
  jitter: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
});

export const Backoff = Schema.Union([FixedBackoff, ExponentialBackoff]);
export type Backoff = typeof Backoff.Type;

export const DEFAULT_BACKOFF: Backoff = { type: "exponential", delayMs: 1_000 };

/**
 * Milliseconds to wait after failed attempt `attempt` (1-based) before the next one.
 *
 * @param random a draw in [0, 1); only used when the policy has jitter. Jitter only ever
 *   shortens a delay, so the cap stays a true upper bound.
 */
export const retryDelayMs = (backoff: Backoff, attempt: number, random = 0): number => {
  const base =
    backoff.type === "fixed"
      ? backoff.delayMs
      : Math.min(
          backoff.maxDelayMs ?? DEFAULT_MAX_DELAY_MS,
          backoff.delayMs * (backoff.factor ?? DEFAULT_BACKOFF_FACTOR) ** Math.max(0, attempt - 1),
        );
  const jitter = backoff.jitter ?? 0;
  const draw = Math.min(Math.max(random, 0), 1);
  return Math.round(base - base * jitter * draw);
};
