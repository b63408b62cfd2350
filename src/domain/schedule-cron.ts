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
    // Too many to walk: the most recent ticks are found from shortly before `untilMs`.
    const recent = this.latestBefore(untilMs, limit);
    return { ticks: recent.filter((tick) => tick > at), total, capped: true };
  }

  /** Up to `limit` of the latest ticks at or before `untilMs` (widening a window backwards). */
  private latestBefore(untilMs: number, limit: number): ReadonlyArray<number> {
    for (let window = 1_000; window <= 400 * 86_400_000; window *= 8) {
      const found: Array<number> = [];
      let at = untilMs - window;
      for (let steps = 0; steps < 100_000; steps++) {
        const next = this.next(at);
        if (next === null || next > untilMs) break;
        found.push(next);
        if (found.length > limit) found.shift();
        at = next;
      }
      if (found.length >= limit || window * 8 > 400 * 86_400_000) return found;
    }
    return [];
  }
}
