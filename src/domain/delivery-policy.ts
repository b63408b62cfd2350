/**
 * How a worker hands out work beyond "highest priority first" (issue 15, ADR 0039): global rate
 * limits on starts per queue or job type, and the fairness between priority levels. Pure: the
 * parsers of the operator's settings, the reference of the rate-limit algorithm (GCRA) that
 * claim.lua implements, and the weighted round robin that shares a claim between levels.
 */
import { parseDuration } from "./duration.ts";
import type { Priority } from "./job-spec.ts";
import { MAX_NAME_LENGTH, MAX_RETAIN_MS } from "./limits.ts";

/**
 * job-spec.ts NAME_PATTERN, built here from the same bound: the CLI's configuration loads this
 * file, and job-spec.ts would load Effect Schema with it (as src/cli/config.ts does for names).
 */
const NAME_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,${MAX_NAME_LENGTH - 1}}$`);

/** Most starts a rate limit may allow per window: beyond it, the limit is not a limit. */
export const MAX_RATE_LIMIT_COUNT = 1_000_000;
/** Largest fairness weight of a priority level. */
export const MAX_FAIRNESS_WEIGHT = 1_000;

/** At most `count` starts in any window of `windowMs`, of one queue's jobs or one job type's. */
export interface RateLimit {
  readonly scope: "queue" | "type";
  readonly name: string;
  readonly count: number;
  readonly windowMs: number;
}

/** A bad setting, with the part that is wrong: thrown by the parsers, shown at start-up. */
export class DeliverySettingError extends Error {
  override readonly name = "DeliverySettingError";
}

export const RATE_LIMITS_RULE =
  "comma-separated queue:<name>=<count>/<window> or type:<name>=<count>/<window>, " +
  `count 1 to ${MAX_RATE_LIMIT_COUNT}, window a duration such as 500ms, 1s, 1m, 1h ` +
  "(e.g. queue:emails=100/1s,type:sms=10/1m)";

const LIMIT = /^(queue|type):([^=]+)=([0-9]{1,7})\/(.+)$/;

/** Whether a window is a real one: whole ms, from 1 ms to 3,650 days (what a duration holds). */
const isWindow = (ms: number): boolean => Number.isSafeInteger(ms) && ms >= 1 && ms <= MAX_RETAIN_MS;

/**
 * Check limits given as data (the library's option): the same rules as the text form, refused
 * with DeliverySettingError — NaN, 0, negative, fractional or huge counts and windows, names
 * no queue or type can have, the same queue or type twice.
 */
export const checkedRateLimits = (limits: ReadonlyArray<RateLimit>): ReadonlyArray<RateLimit> => {
  const seen = new Set<string>();
  return limits.map((limit) => {
    const { scope, name, count, windowMs } = limit;
    const id = `${String(scope)}:${String(name)}`;
    if (scope !== "queue" && scope !== "type")
      throw new DeliverySettingError(`rate limit ${id}: the scope must be queue or type`);
    if (typeof name !== "string" || !NAME_PATTERN.test(name))
      throw new DeliverySettingError(`rate limit ${id}: ${JSON.stringify(name)} is not a ${scope} name`);
    if (!Number.isSafeInteger(count) || count < 1 || count > MAX_RATE_LIMIT_COUNT)
      throw new DeliverySettingError(
        `rate limit ${id}: the count must be a whole number from 1 to ${MAX_RATE_LIMIT_COUNT}, got ${count}`,
      );
    if (!isWindow(windowMs))
      throw new DeliverySettingError(
        `rate limit ${id}: the window must be whole milliseconds from 1 to ${MAX_RETAIN_MS} (3650 days), got ${windowMs}`,
      );
    if (seen.has(id)) throw new DeliverySettingError(`rate limit ${id}: limited twice`);
    seen.add(id);
    return { scope, name, count, windowMs };
  });
};

/**
 * Parse DOCKET_RATE_LIMITS. Refuses (DeliverySettingError) anything that is not a real limit: a
 * count of 0, a negative, fractional or huge one, a window that is no duration (NaN, 0, negative,
 * more than 3,650 days), a name no queue or type can have, the same queue or type twice.
 */
export const parseRateLimits = (text: string): ReadonlyArray<RateLimit> => {
  const limits: Array<RateLimit> = [];
  for (const raw of text.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    const match = LIMIT.exec(item);
    if (match === null) throw new DeliverySettingError(`rate limit "${item}": expected ${RATE_LIMITS_RULE}`);
    const [, scope, name, countText, windowText] = match as unknown as [
      string,
      "queue" | "type",
      string,
      string,
      string,
    ];
    const windowMs = parseDuration(windowText);
    if (windowMs === null || windowMs < 1)
      throw new DeliverySettingError(
        `rate limit "${item}": the window must be a duration of at least 1ms and at most 3650d (e.g. 1s, 1m)`,
      );
    limits.push({ scope, name, count: Number(countText), windowMs });
  }
  return checkedRateLimits(limits);
};

/**
 * The reference GCRA (generic cell rate algorithm) with no burst tolerance, as claim.lua runs it:
 * a limit of `count` per `windowMs` has emission interval I = windowMs / count; the state is the
 * theoretical arrival time `tat` (0 when none). A start at `now` conforms iff tat <= now, and sets
 * tat = now + I. Two conforming starts are therefore at least I apart, so any window of length
 * windowMs (half-open) holds at most `count` of them.
 */
export const gcra = (
  tat: number,
  nowMs: number,
  intervalMs: number,
): { readonly admitted: boolean; readonly tat: number; readonly retryInMs: number } =>
  tat <= nowMs
    ? { admitted: true, tat: nowMs + intervalMs, retryInMs: 0 }
    : { admitted: false, tat, retryInMs: tat - nowMs };

/**
 * Fairness between priority levels, per worker: `strict` serves the highest level that has work
 * first (a level waits while any higher one has work); `weighted` shares each claim between the
 * levels that have work in proportion to their weights (smooth weighted round robin), so a low
 * job at the head of its level waits at most sum(weights) / weight(low) picks of one claim loop.
 */
export type Fairness =
  | { readonly kind: "strict" }
  | { readonly kind: "weighted"; readonly weights: Readonly<Record<Priority, number>> };

export const FAIRNESS_RULE =
  "strict, or four weights critical:high:normal:low, each a whole number from 1 to " +
  `${MAX_FAIRNESS_WEIGHT} (e.g. 8:4:2:1)`;

/** Parse DOCKET_FAIRNESS ("strict" or e.g. "8:4:2:1"); refuses anything else. */
export const parseFairness = (text: string): Fairness => {
  const value = text.trim();
  if (value === "strict") return { kind: "strict" };
  const parts = value.split(":");
  const weights = parts.map((p) => (/^[0-9]{1,4}$/.test(p) ? Number(p) : Number.NaN));
  if (parts.length !== 4 || weights.some((w) => !(w >= 1 && w <= MAX_FAIRNESS_WEIGHT)))
    throw new DeliverySettingError(`fairness "${text}": expected ${FAIRNESS_RULE}`);
  const [critical, high, normal, low] = weights as [number, number, number, number];
  return { kind: "weighted", weights: { critical, high, normal, low } };
};

/** How a worker's claims are served: global rate limits, fairness between priority levels. */
export interface DeliveryPolicy {
  readonly rateLimits?: ReadonlyArray<RateLimit>;
  readonly fairness?: Fairness;
}

export const LEVEL_ORDER: ReadonlyArray<Priority> = ["critical", "high", "normal", "low"];

/** A weighted round robin's running credits, one per level (start from zeros). */
export type Credits = Readonly<Record<Priority, number>>;
export const NO_CREDITS: Credits = { critical: 0, high: 0, normal: 0, low: 0 };

/**
 * Share `picks` between the levels by smooth weighted round robin (nginx's): each pick adds every
 * level's weight to its credit, takes the level with the most (ties: the higher level), and
 * takes the total of the weights off it. Over sum(weights) picks each level gets exactly its
 * weight, spread out. Returns the picks per level and the credits to carry to the next claim.
 */
export const sharePicks = (
  weights: Readonly<Record<Priority, number>>,
  credits: Credits,
  picks: number,
): { readonly shares: Readonly<Record<Priority, number>>; readonly credits: Credits } => {
  const total = LEVEL_ORDER.reduce((sum, level) => sum + weights[level], 0);
  const running: Record<Priority, number> = { ...credits };
  const shares: Record<Priority, number> = { critical: 0, high: 0, normal: 0, low: 0 };
  // Beyond one full round, every level gets its weight per round: only the rest needs picking.
  const rounds = Math.floor(picks / total);
  for (const level of LEVEL_ORDER) shares[level] = rounds * weights[level];
  for (let i = 0; i < picks % total; i++) {
    let best: Priority = "critical";
    for (const level of LEVEL_ORDER) {
      running[level] += weights[level];
      if (running[level] > running[best]) best = level;
    }
    running[best] -= total;
    shares[best] += 1;
  }
  return { shares, credits: running };
};
