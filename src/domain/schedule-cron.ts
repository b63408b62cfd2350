/**
 * Cron arithmetic for schedules, over croner (ADR 0037): is an expression valid, is a time zone
 * known, which ticks fall in a time range. Pure: every question takes its instants as data; no
 * call here reads the clock (croner's `nextRun(from)` is always given `from`).
 */
import { Cron } from "croner";
import { MAX_TIMESTAMP_MS } from "./limits.ts";

/** Croner's patterns: 5 fields (minute first) or 6 (seconds first); no year field. */
const cronOf = (expression: string, timezone: string): Cron =>
  new Cron(expression, { timezone, paused: true, legacyMode: true });

/** Why `expression` in `timezone` cannot be a schedule, or undefined when it can. */
export const cronProblem = (
  expression: string,
  timezone: string,
  fromMs: number,
): { readonly code: "invalid_cron" | "invalid_timezone"; readonly message: string } | undefined => {
  if (!isKnownTimeZone(timezone)) return { code: "invalid_timezone", message: `unknown time zone` };
  let cron: Cron;
  try {
    cron = cronOf(expression, timezone);
  } catch (error) {
    return { code: "invalid_cron", message: error instanceof Error ? error.message : "invalid cron" };
  }
  // A pattern such as "0 0 30 2 *" (February 30) parses but never fires: refuse it up front.
  if (nextTick(cron, fromMs) === null)
    return { code: "invalid_cron", message: "the expression never fires (no time matches it)" };
  return undefined;
};

/** True for an IANA zone name the runtime knows (`UTC`, `Europe/Berlin`, ...). */
export const isKnownTimeZone = (timezone: string): boolean => {
  if (timezone.length === 0 || timezone.length > 64 || !timezone.isWellFormed()) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
};

const nextTick = (cron: Cron, afterMs: number): number | null => {
  if (!(afterMs < MAX_TIMESTAMP_MS)) return null;
  const next = cron.nextRun(new Date(afterMs));
  const ms = next === null ? null : next.getTime();
  return ms === null || !(ms <= MAX_TIMESTAMP_MS) ? null : ms;
};

/** A schedule's cron, compiled once: the ticks after an instant. */
export class CronTicks {
  private readonly cron: Cron;

  /** Throws on an invalid expression or zone: check with `cronProblem` first. */
  constructor(expression: string, timezone: string) {
    this.cron = cronOf(expression, timezone);
  }

  /** The first tick strictly after `afterMs`, or null when there is none (before year 10000). */
  next(afterMs: number): number | null {
    return nextTick(this.cron, afterMs);
  }

  /** Up to `count` ticks strictly after `afterMs`, in order. */
  upcoming(afterMs: number, count: number): ReadonlyArray<number> {
    const ticks: Array<number> = [];
    let at = afterMs;
    while (ticks.length < count) {
      const next = this.next(at);
      if (next === null) break;
      ticks.push(next);
      at = next;
    }
    return ticks;
  }

  /**
   * The ticks in (afterMs, untilMs], oldest first, but at most `limit` of them: the most recent
   * ones, and how many there were in all (counted up to `countLimit`, so a schedule that fired
   * every second and was down for a year costs a bounded amount of work; `total` is then a
   * lower bound and `capped` says so).
   */
  due(
    afterMs: number,
    untilMs: number,
    limit: number,
    countLimit = 1_000,
  ): { readonly ticks: ReadonlyArray<number>; readonly total: number; readonly capped: boolean } {
    const ticks: Array<number> = [];
    let total = 0;
    let at = afterMs;
    for (;;) {
      const next = this.next(at);
      if (next === null || next > untilMs) return { ticks, total, capped: false };
      total += 1;
      ticks.push(next);
      if (ticks.length > limit) ticks.shift();
      at = next;
      if (total >= countLimit) break;
    }
    // Too many to walk: the most recent ticks, from the last one walked (included, so there is
    // at least one) to `untilMs`, are found by bisection.
    return { ticks: this.latestIn(at - 1, untilMs, limit), total, capped: true };
  }

  /** Up to `limit` of the latest ticks in (afterMs, untilMs], oldest first. */
  private latestIn(afterMs: number, untilMs: number, limit: number): ReadonlyArray<number> {
    const found: Array<number> = [];
    let until = untilMs;
    while (found.length < limit) {
      const tick = this.lastIn(afterMs, until);
      if (tick === null) break;
      found.unshift(tick);
      until = tick - 1;
    }
    return found;
  }

  /**
   * The latest tick in (afterMs, untilMs], or null: a bisection over `next`, so about
   * log2(untilMs − afterMs) reads (42 for a century) however dense or sparse the ticks are. A
   * walk from a window before `untilMs` once took seconds for a tick every second and could miss
   * the latest tick altogether (a schedule's catch-up then had no tick to record).
   */
  private lastIn(afterMs: number, untilMs: number): number | null {
    const first = this.next(afterMs);
    if (first === null || first > untilMs) return null;
    // next(lo) is at or before untilMs; no tick lies in (hi, untilMs].
    let lo = afterMs;
    let hi = untilMs;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const tick = this.next(mid);
      if (tick !== null && tick <= untilMs) lo = mid;
      else hi = mid;
    }
    return this.next(lo);
  }
}
