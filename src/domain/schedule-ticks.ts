/**
 * Which tick a schedule handles next, and how (ADR 0037): the catch-up policy, as a pure
 * function of the schedule's state and the time. The scheduler asks it one step at a time and
 * appends each answer as one event, so every step is fenced by the schedule's version.
 *
 * A tick at most `graceMs` late is on time and fires. Older ones were missed (no scheduler ran):
 * the policy keeps the most recent `keep` of them (none: 0, last: 1, all: catchUpMax), which
 * fire in order, and records the rest as one ScheduleSkipped { reason: "missed", count }.
 */
import type { ScheduleDefinition, ScheduleState } from "./schedule.ts";
import { CronTicks } from "./schedule-cron.ts";

export const DEFAULT_GRACE_MS = 30_000;

export type ScheduleStep =
  | { readonly kind: "fire"; readonly tick: number }
  | { readonly kind: "skip"; readonly tick: number; readonly count: number };

const keepOf = (definition: ScheduleDefinition): number =>
  definition.catchUp === "none" ? 0 : definition.catchUp === "last" ? 1 : definition.catchUpMax;

/** The next step for an active schedule at `nowMs`, or null when no tick is due. */
export const nextScheduleStep = (
  state: ScheduleState,
  nowMs: number,
  graceMs: number = DEFAULT_GRACE_MS,
  ticks?: CronTicks,
): ScheduleStep | null => {
  const { context } = state;
  const definition = context.definition;
  if (state.status !== "active" || definition === null || context.since === null) return null;
  const cron = ticks ?? new CronTicks(definition.cron, definition.timezone);
  const since = Date.parse(context.since);
  const from = context.lastTick === null ? since : Math.max(since, Date.parse(context.lastTick));
  const first = cron.next(from);
  if (first === null || first > nowMs) return null;
  if (first >= nowMs - graceMs) return { kind: "fire", tick: first };
  const keep = keepOf(definition);
  const late = cron.due(from, nowMs - graceMs, keep + 1);
  if (late.total <= keep) return { kind: "fire", tick: first };
  const tick = late.ticks[Math.max(0, late.ticks.length - keep - 1)] as number;
  return { kind: "skip", tick, count: late.total - keep };
};
