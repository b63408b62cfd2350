/**
 * A schedule (ADR 0037): a named cron definition that submits a job at each tick, an
 * event-sourced entity of its own with a small XState machine (none → active ⇄ paused →
 * removed) and its own history of past-tense facts: created, updated, paused, resumed, fired
 * (the tick and the job it submitted), skipped (overlap or missed ticks), removed.
 *
 * Pure: the machine says which event may follow which (assign-only actions, no delays), and the
 * fold of a schedule's events is `initialTransition` then `transition` per event.
 */
import * as Schema from "effect/Schema";
import { assign, initialTransition, setup, transition } from "xstate";
import type { Actor } from "./events.ts";
import { NonNegativeInt, Timestamp } from "./job-spec.ts";
import { JsonValue } from "./json-value.ts";
import { Text } from "./text.ts";

export const MAX_SCHEDULE_NAME_LENGTH = 64;
export const MAX_CRON_LENGTH = 256;
export const MAX_TIMEZONE_LENGTH = 64;
/** The most ticks a catch-up may fire at once (`catchUpMax`'s bound). */
export const MAX_CATCH_UP = 1_000;
export const DEFAULT_CATCH_UP_MAX = 10;

/** Letters, digits and `. _ -`, starting with a letter or digit: safe in URLs and Redis keys. */
export const SCHEDULE_NAME_PATTERN = new RegExp(
  `^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_SCHEDULE_NAME_LENGTH - 1}}$`,
);
export const ScheduleName = Schema.String.check(Schema.isPattern(SCHEDULE_NAME_PATTERN));

export const Overlap = Schema.Literals(["allow", "skip"]);
export type Overlap = typeof Overlap.Type;
/**
 * What to do with ticks that passed while no scheduler ran (ADR 0037): `none` skips them (only a
 * tick less than the grace period late fires), `last` fires the latest one, `all` fires each, up
 * to `catchUpMax` (the most recent ones). Those not fired are recorded as one ScheduleSkipped.
 */
export const CatchUp = Schema.Literals(["none", "last", "all"]);
export type CatchUp = typeof CatchUp.Type;

/** What a schedule is: when (cron, zone) and what (the job, a submit request as given). */
export const ScheduleDefinition = Schema.Struct({
  cron: Text(1, MAX_CRON_LENGTH),
  timezone: Text(1, MAX_TIMEZONE_LENGTH),
  job: JsonValue,
  overlap: Overlap,
  catchUp: CatchUp,
  catchUpMax: NonNegativeInt.check(Schema.isLessThanOrEqualTo(MAX_CATCH_UP)),
});
export type ScheduleDefinition = typeof ScheduleDefinition.Type;

/** overlap: the last job still ran; missed: late past the grace period; rejected: the job spec was refused. */
export const SkipReason = Schema.Literals(["overlap", "missed", "rejected"]);

export const ScheduleEventData = {
  ScheduleCreated: Schema.Struct({ definition: ScheduleDefinition }),
  ScheduleUpdated: Schema.Struct({ definition: ScheduleDefinition }),
  SchedulePaused: Schema.Struct({}),
  ScheduleResumed: Schema.Struct({}),
  ScheduleFired: Schema.Struct({ tick: Timestamp, jobId: Text(1, 128) }),
  /** `tick` is the latest tick skipped; `count` how many (a lower bound when very many). */
  ScheduleSkipped: Schema.Struct({
    tick: Timestamp,
    count: NonNegativeInt,
    reason: SkipReason,
    jobId: Schema.optionalKey(Text(1, 128)),
  }),
  ScheduleRemoved: Schema.Struct({}),
} as const;

export type ScheduleEventType = keyof typeof ScheduleEventData;
export const SCHEDULE_EVENT_TYPES = Object.keys(ScheduleEventData) as ReadonlyArray<ScheduleEventType>;

export type ScheduleEventOf<T extends ScheduleEventType> = {
  readonly type: T;
  readonly at: Timestamp;
  readonly actor: Actor;
  readonly data: (typeof ScheduleEventData)[T]["Type"];
};
export type ScheduleEvent = { [T in ScheduleEventType]: ScheduleEventOf<T> }[ScheduleEventType];

export const SCHEDULE_STATES = ["none", "active", "paused", "removed"] as const;
export type ScheduleStatus = (typeof SCHEDULE_STATES)[number];

export interface ScheduleContext {
  readonly definition: ScheduleDefinition | null;
  readonly createdAt: Timestamp | null;
  /**
   * Ticks at or before this instant are never due: the creation, the last update or resume (a
   * paused schedule's ticks are not missed, they are not wanted), or the last tick handled.
   */
  readonly since: Timestamp | null;
  /** The last tick fired or skipped (every later tick is still to be handled). */
  readonly lastTick: Timestamp | null;
  /** The job the last fired tick submitted (overlap "skip" waits for it to end). */
  readonly lastJobId: string | null;
  readonly fired: number;
  readonly skipped: number;
}

const later = (a: Timestamp | null, b: Timestamp): Timestamp => (a !== null && a > b ? a : b);

const afterLastTick = ({ context, event }: { context: ScheduleContext; event: ScheduleEvent }) =>
  (event.type === "ScheduleFired" || event.type === "ScheduleSkipped") &&
  (context.lastTick === null || event.data.tick > context.lastTick);

/** The schedule machine: the only place that says which schedule event may follow which. */
export const scheduleMachine = setup({
  types: { context: {} as ScheduleContext, events: {} as ScheduleEvent },
  guards: { afterLastTick },
  actions: {
    define: assign(({ context, event }) =>
      event.type === "ScheduleCreated"
        ? { definition: event.data.definition, createdAt: event.at, since: event.at }
        : event.type === "ScheduleUpdated"
          ? { definition: event.data.definition, since: later(context.lastTick, event.at) }
          : {},
    ),
    resume: assign(({ event }) => ({ since: event.at })),
    fire: assign(({ context, event }) =>
      event.type === "ScheduleFired"
        ? {
            lastTick: event.data.tick,
            since: later(context.since, event.data.tick),
            lastJobId: event.data.jobId,
            fired: context.fired + 1,
          }
        : event.type === "ScheduleSkipped"
          ? {
              lastTick: event.data.tick,
              since: later(context.since, event.data.tick),
              skipped: context.skipped + event.data.count,
            }
          : {},
    ),
  },
}).createMachine({
  id: "schedule",
  initial: "none",
  context: {
    definition: null,
    createdAt: null,
    since: null,
    lastTick: null,
    lastJobId: null,
    fired: 0,
    skipped: 0,
  },
  states: {
    none: { on: { ScheduleCreated: { target: "active", actions: "define" } } },
    active: {
      on: {
        ScheduleUpdated: { actions: "define" },
        SchedulePaused: { target: "paused" },
        ScheduleFired: { guard: "afterLastTick", actions: "fire" },
        ScheduleSkipped: { guard: "afterLastTick", actions: "fire" },
        ScheduleRemoved: { target: "removed" },
      },
    },
    paused: {
      on: {
        ScheduleUpdated: { actions: "define" },
        ScheduleResumed: { target: "active", actions: "resume" },
        ScheduleRemoved: { target: "removed" },
      },
    },
    removed: { type: "final" },
  },
});

export interface ScheduleState {
  readonly status: ScheduleStatus;
  readonly context: ScheduleContext;
}

type Snapshot = ReturnType<typeof initialTransition<typeof scheduleMachine>>[0];

const stateOf = (snapshot: Snapshot): ScheduleState => ({
  status: snapshot.value as ScheduleStatus,
  context: snapshot.context,
});

/** The state before any event. */
export const initialScheduleState = (): ScheduleState => stateOf(initialTransition(scheduleMachine)[0]);

/**
 * Fold events into a schedule's state, or say which event (by index) the machine refuses. The
 * same fold serves the writer (may this follow?) and the auditor (is this history legal?).
 */
export const foldSchedule = (
  events: ReadonlyArray<ScheduleEvent>,
  from: ScheduleState = initialScheduleState(),
): { readonly state: ScheduleState } | { readonly refused: number; readonly state: ScheduleState } => {
  let snapshot = scheduleMachine.resolveState({ value: from.status, context: from.context });
  for (const [index, event] of events.entries()) {
    if (!snapshot.can(event)) return { refused: index, state: stateOf(snapshot) };
    snapshot = transition(scheduleMachine, snapshot, event)[0];
  }
  return { state: stateOf(snapshot) };
};
