/**
 * Folding events through the machine: `evolve` is XState's pure `transition`.
 *
 * A JobState is the machine snapshot; `statusOf` gives its state name. `accepts` asks the
 * machine whether an event has an enabled transition — the single answer to "may this happen".
 */
import { createActor, initialTransition, type SnapshotFrom } from "xstate";
import type { JobEvent } from "./events.ts";
import { type JobContext, type JobStatus, jobMachine, TERMINAL_STATES } from "./job-machine.ts";

export type JobState = SnapshotFrom<typeof jobMachine>;

/**
 * The state before any event: `pending` with an unsubmitted context. Snapshots are immutable
 * (every transition returns a new one), so one initial snapshot is shared rather than built by
 * `initialTransition` — which creates a whole actor — for every new job.
 */
const INITIAL: JobState = initialTransition(jobMachine)[0];
export const initialState = (): JobState => INITIAL;

export const statusOf = (state: JobState): JobStatus => state.value as JobStatus;
export const contextOf = (state: JobState): JobContext => state.context;
export const isTerminal = (state: JobState): boolean => TERMINAL_STATES.has(statusOf(state));

/** Does the machine have an enabled transition for this event in this state? */
export const accepts = (state: JobState, event: JobEvent): boolean =>
  jobMachine.getTransitionData(state, event).length > 0;

/**
 * XState's `transition(machine, snapshot, event)` builds a throwaway actor on every call, which
 * made a fold cost ~100 µs per event. The job machine has no invokes, spawns or effects (assign
 * only), so one inert scope — the same shape `transition` builds — serves every fold; a unit
 * test checks the result equals `transition`'s.
 */
const inertScope = (() => {
  const self = createActor(jobMachine);
  const noop = () => {};
  return {
    self,
    defer: noop,
    id: "",
    logger: noop,
    sessionId: "",
    stopChild: noop,
    system: self.system,
    emit: noop,
    actionExecutor: noop,
  };
})();

/** Apply one event. Callers that need legality check `accepts` first (see replay.ts). */
export const evolve = (state: JobState, event: JobEvent): JobState =>
  jobMachine.transition(state, event, inertScope as unknown as Parameters<typeof jobMachine.transition>[2]);

/** Fold a trusted, already-verified list of events. */
export const fold = (events: Iterable<JobEvent>, from: JobState = initialState()): JobState => {
  let state = from;
  for (const event of events) state = evolve(state, event);
  return state;
};

/** Rebuild a state from a stored status and context (a job head), without folding its events. */
export const restoreState = (status: JobStatus, context: JobContext): JobState =>
  jobMachine.resolveState({ value: status, context });
