/**
 * Durations as operators write them (`90s`, `15m`, `24h`, `7d`, `500ms`): retention settings and
 * `docket jobs purge --older-than`. Pure. Bounded by MAX_RETAIN_MS (3,650 days), so the result
 * always fits a date and a Redis score exactly.
 */
import { MAX_RETAIN_MS } from "./limits.ts";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^([0-9]{1,13})(ms|s|m|h|d)$/;

export const DURATION_RULE =
  "a whole number and a unit (ms, s, m, h or d) of at most 3650d, e.g. 90s, 15m, 24h, 7d";

/** The duration's milliseconds, or null when the text is not one (or exceeds 3,650 days). */
export const parseDuration = (text: string): number | null => {
  const match = DURATION.exec(text.trim());
  if (match === null) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return Number.isSafeInteger(ms) && ms <= MAX_RETAIN_MS ? ms : null;
};

/** The shortest exact spelling of a duration in the largest whole unit (24h, 90s, 1500ms). */
export const formatDuration = (ms: number): string => {
  for (const unit of ["d", "h", "m", "s"] as const)
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return `${ms}ms`;
};
