/**
 * Durable steps, read back from a job's history (ADR 0043): what its handler's `ctx.step`,
 * `ctx.sleep` and `ctx.waitFor` find already done when an attempt runs the handler again from the
 * top. A pure fold of the job's events; the worker builds it when an attempt starts, the audit
 * verifier uses the same rules to check that no step was recorded as done twice.
 *
 * - A step is done once a StepCompleted of its key (name, and index for a step in a loop) is
 *   recorded: every later call of that key is given the recorded result. A StepFailed is evidence
 *   only: a later attempt runs the step again.
 * - A sleep is done once a JobSuspended (sleep) of its name is recorded: the job only runs again
 *   after it has been re-queued.
 * - A wait for signal `name` is answered by the first rule that applies: a suspension for it that
 *   ended by its timeout (it timed out, even if the signal came later); else the signal, if the
 *   job has received it (before the wait, or waking it); else it is not answered yet.
 */
import type { JobEvent } from "./events.ts";
import type { Json } from "./json.ts";

/** A step's key: its name, and its index when it has one. */
export interface StepKey {
  readonly name: string;
  readonly index?: number;
}

/** The one text a key is known by (names cannot hold `#`: NAME_PATTERN). */
export const stepKeyText = (key: StepKey): string =>
  key.index === undefined ? key.name : `${key.name}#${key.index}`;

export interface RecordedStep {
  readonly result: Json;
  readonly fingerprint: string;
  readonly attempt: number;
}

export type WaitAnswer =
  { readonly timedOut: false; readonly payload: Json | null } | { readonly timedOut: true };

export interface StepJournal {
  /** Steps done, by key text. */
  readonly steps: ReadonlyMap<string, RecordedStep>;
  /** Sleeps taken, by name. */
  readonly sleeps: ReadonlySet<string>;
  /** Waits answered, by signal name. */
  readonly waits: ReadonlyMap<string, WaitAnswer>;
}

export const EMPTY_JOURNAL: StepJournal = { steps: new Map(), sleeps: new Set(), waits: new Map() };

/** The journal of a job's history (events in seq order; trusted: already verified or accepted). */
export const journalOf = (events: Iterable<JobEvent>): StepJournal => {
  const steps = new Map<string, RecordedStep>();
  const sleeps = new Set<string>();
  const signals = new Map<string, Json | null>();
  const timedOut = new Set<string>();
  let waitingFor: string | null = null;
  for (const event of events) {
    switch (event.type) {
      case "StepCompleted": {
        const key = stepKeyText(event.data);
        // The first one counts: a second would be a defect the verifier reports (stepProblem).
        if (!steps.has(key))
          steps.set(key, {
            result: event.data.result,
            fingerprint: event.data.fingerprint,
            attempt: event.data.attempt,
          });
        break;
      }
      case "JobSuspended":
        if (event.data.kind === "sleep") sleeps.add(event.data.name);
        waitingFor = event.data.kind === "signal" ? event.data.name : null;
        break;
      case "JobQueued":
        if (event.data.reason === "wait_timed_out" && waitingFor !== null) timedOut.add(waitingFor);
        waitingFor = null;
        break;
      case "SignalReceived":
        if (!signals.has(event.data.name)) signals.set(event.data.name, event.data.payload ?? null);
        break;
      case "JobCancelled":
      case "AttemptStarted":
        waitingFor = null;
        break;
      default:
        break;
    }
  }
  const waits = new Map<string, WaitAnswer>();
  for (const [name, payload] of signals) waits.set(name, { timedOut: false, payload });
  for (const name of timedOut) waits.set(name, { timedOut: true });
  return { steps, sleeps, waits };
};

/**
 * The first event at which a history breaks the step rule, with why, or undefined: a StepCompleted
 * for a key already done (the step's result recorded twice), or a StepFailed for one (a step
 * already done was run again instead of replayed).
 */
export const stepProblem = (
  events: ReadonlyArray<JobEvent>,
): { readonly index: number; readonly message: string } | undefined => {
  const done = new Map<string, number>();
  for (const [index, event] of events.entries()) {
    if (event.type !== "StepCompleted" && event.type !== "StepFailed") continue;
    const key = stepKeyText(event.data);
    const first = done.get(key);
    if (first !== undefined)
      return {
        index,
        message:
          event.type === "StepCompleted"
            ? `step ${key} is recorded as completed twice (attempts ${first} and ${event.data.attempt}): the later attempt ran it instead of using the recorded result`
            : `step ${key} ran again in attempt ${event.data.attempt} and failed, although attempt ${first} had recorded its result`,
      };
    if (event.type === "StepCompleted") done.set(key, event.data.attempt);
  }
  return undefined;
};
