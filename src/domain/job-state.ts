/**
 * Folding events through the machine.
 *
 * A JobState is the machine's state: its status (the state name) and its context. `accepts`
 * asks the machine whether an event has an enabled transition — the single answer to "may this
 * happen" — and `evolve` takes it.
 *
 * Both read the transitions off the XState machine definition (job-machine.ts) once, at load,
 * into a table by state and event type, and run the machine's own guard and assign functions
 * (`jobGuards`, `jobAssigners`). XState's `transition()` computes the same thing but allocates
 * a snapshot, state-node sets and action lists per event (about 12 KB and 4 µs each), which was
 * the largest single cost of a worker's hot path (ADR 0013). The table supports exactly what the
 * job machine uses — flat states, guarded transitions by name, assign actions by name — and
 * refuses to load if the machine uses anything else, so it cannot silently drift from XState's
 * semantics; a property test checks it against `transition()` on arbitrary events.
 */
import { initialTransition } from "xstate";
import type { EventType, JobEvent } from "./events.ts";
import { jobAssigners } from "./job-assigners.ts";
import {
  JOB_STATES,
  type JobContext,
  type JobStatus,
  type MachineArgs,
  TERMINAL_STATES,
} from "./job-context.ts";
import { jobGuards } from "./job-guards.ts";
import { jobMachine } from "./job-machine.ts";

export interface JobState {
  readonly value: JobStatus;
  readonly context: JobContext;
}

export const statusOf = (state: JobState): JobStatus => state.value;
export const contextOf = (state: JobState): JobContext => state.context;
export const isTerminal = (state: JobState): boolean => TERMINAL_STATES.has(statusOf(state));

/**
 * True in the one state no stored history may end in: a failure that allows no retry, whose
 * JobDeadLettered is decided and appended with it (ADR 0022). Only a history cut short, or
 * edited, stops here.
 */
export const awaitsDeadLetter = (state: JobState): boolean =>
  state.value === "failed" && state.context.dueAt === null;

interface CompiledTransition {
  readonly guard: ((args: MachineArgs) => boolean) | undefined;
  readonly target: JobStatus | undefined;
  readonly assigners: ReadonlyArray<(args: MachineArgs) => Partial<JobContext>>;
}

type Table = Readonly<Record<JobStatus, ReadonlyMap<string, ReadonlyArray<CompiledTransition>>>>;

const unsupported = (what: string): never => {
  throw new Error(`job-state.ts cannot interpret the job machine: ${what} (see ADR 0013)`);
};

const nameOf = (item: unknown, kind: string): string =>
  typeof item === "string"
    ? item
    : typeof item === "object" && item !== null && "type" in item && typeof item.type === "string"
      ? item.type
      : unsupported(`an inline ${kind}`);

const compile = (): Table => {
  const table = {} as Record<JobStatus, Map<string, ReadonlyArray<CompiledTransition>>>;
  const states = jobMachine.root.states;
  if (Object.keys(states).length !== JOB_STATES.length) unsupported("states other than JOB_STATES");
  for (const status of JOB_STATES) {
    const node = states[status] ?? unsupported(`no state node "${status}"`);
    if (Object.keys(node.states).length > 0) unsupported(`nested states in "${status}"`);
    if (node.entry.length > 0 || node.exit.length > 0) unsupported(`entry/exit actions in "${status}"`);
    if ((node.always?.length ?? 0) > 0 || node.after.length > 0)
      unsupported(`eventless or delayed transitions in "${status}"`);
    const byEvent = new Map<string, ReadonlyArray<CompiledTransition>>();
    for (const [event, definitions] of node.transitions)
      byEvent.set(
        event,
        definitions.map((definition) => {
          if (definition.reenter) unsupported(`a re-entering transition on ${event} in "${status}"`);
          const guardName = definition.guard === undefined ? undefined : nameOf(definition.guard, "guard");
          const targetName = definition.target?.[0]?.key;
          if ((definition.target?.length ?? 0) > 1) unsupported(`several targets on ${event}`);
          return {
            guard:
              guardName === undefined
                ? undefined
                : (jobGuards[guardName as keyof typeof jobGuards] ?? unsupported(`guard "${guardName}"`)),
            target:
              targetName === undefined
                ? undefined
                : JOB_STATES.includes(targetName as JobStatus)
                  ? (targetName as JobStatus)
                  : unsupported(`target "${targetName}"`),
            assigners: definition.actions.map((action) => {
              const name = nameOf(action, "action");
              return jobAssigners[name as keyof typeof jobAssigners] ?? unsupported(`action "${name}"`);
            }),
          };
        }),
      );
    table[status] = byEvent;
  }
  return table;
};

const TABLE: Table = compile();

/**
 * The state before any event: `pending` with an unsubmitted context, as the machine's own
 * initial snapshot says. Shared: states are immutable.
 */
const INITIAL: JobState = (() => {
  const [snapshot] = initialTransition(jobMachine);
  return { value: snapshot.value as JobStatus, context: snapshot.context };
})();
export const initialState = (): JobState => INITIAL;

/** The transition the machine takes for this event (the first enabled, in definition order). */
const enabled = (state: JobState, event: JobEvent): CompiledTransition | undefined => {
  const candidates = TABLE[state.value]?.get(event.type as EventType);
  if (candidates === undefined) return undefined;
  const args: MachineArgs = { context: state.context, event };
  for (const transition of candidates)
    if (transition.guard === undefined || transition.guard(args)) return transition;
  return undefined;
};

/** Does the machine have an enabled transition for this event in this state? */
export const accepts = (state: JobState, event: JobEvent): boolean => enabled(state, event) !== undefined;

/**
 * Apply one event; an event the machine does not accept leaves the state as it is. Callers that
 * need legality check `accepts` first (see replay.ts).
 */
export const evolve = (state: JobState, event: JobEvent): JobState => {
  const transition = enabled(state, event);
  if (transition === undefined) return state;
  let context = state.context;
  // Each assign sees the context the previous one left, as in XState.
  for (const assign of transition.assigners) context = { ...context, ...assign({ context, event }) };
  return { value: transition.target ?? state.value, context };
};

/** Fold a trusted, already-verified list of events. */
export const fold = (events: Iterable<JobEvent>, from: JobState = initialState()): JobState => {
  let state = from;
  for (const event of events) state = evolve(state, event);
  return state;
};

/** Rebuild a state from a stored status and context (a job head), without folding its events. */
export const restoreState = (status: JobStatus, context: JobContext): JobState => ({
  value: status,
  context,
});
