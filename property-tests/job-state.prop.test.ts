/**
 * The fast interpreter of the job machine (job-state.ts, ADR 0013) against XState itself: in any
 * state a random history reaches, for any event — accepted or not, from the right attempt or a
 * stale one — `accepts` gives XState's answer and `evolve` gives the state XState's
 * `transition()` gives.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { initialTransition, transition } from "xstate";
import {
  accepts,
  type Actor,
  contextOf,
  EVENT_TYPES,
  evolve,
  initialState,
  type JobEvent,
  jobMachine,
  type JobState,
  type JobStatus,
} from "../src/domain/index.ts";
import { historyArb, runHistory, START_TIME, specArb } from "./support/history.ts";

type Snapshot = ReturnType<typeof initialTransition<typeof jobMachine>>[0];

const iso = (ms: number) => new Date(ms).toISOString();

/** A raw event of any type, with its attempt and times relative to the state it is tried in. */
const probeArb = fc.record({
  type: fc.constantFrom(...EVENT_TYPES),
  attemptDelta: fc.integer({ min: -2, max: 2 }),
  atMs: fc.integer({ min: 0, max: 2_000_000 }),
  retryInMs: fc.option(fc.nat(10_000)),
  runInMs: fc.option(fc.integer({ min: -5_000, max: 5_000 })),
  retryable: fc.boolean(),
  maxAttemptsDelta: fc.integer({ min: -2, max: 3 }),
  spec: specArb,
  cancelReason: fc.option(fc.string({ minLength: 1, maxLength: 5 })),
  /** For JobDeadLettered: restate the failure exactly, or get one member wrong. */
  deadLetterEdit: fc.constantFrom("none", "none", "reason", "attempt", "maxAttempts", "errorCode"),
  dependency: fc.constantFrom("dep-a", "dep-b", "dep-c", "dep-x"),
  end: fc.constantFrom("completed" as const, "dead_letter" as const, "cancelled" as const),
});

const actor: Actor = { kind: "worker", id: "w-1" };

const probeEvent = (
  probe: typeof probeArb extends fc.Arbitrary<infer T> ? T : never,
  state: JobState,
): JobEvent => {
  const { attempt } = contextOf(state);
  const at = iso(START_TIME + probe.atMs);
  const n = Math.max(1, attempt + probe.attemptDelta);
  switch (probe.type) {
    case "JobSubmitted":
      return {
        type: "JobSubmitted",
        at,
        actor,
        data:
          probe.runInMs === null
            ? { spec: probe.spec }
            : { spec: probe.spec, runAt: iso(START_TIME + probe.atMs + probe.runInMs) },
      };
    case "JobQueued":
      return {
        type: "JobQueued",
        at,
        actor,
        data: { reason: QUEUED_REASONS[probe.atMs % QUEUED_REASONS.length] ?? "retry_due" },
      };
    case "AttemptStarted":
      return {
        type: "AttemptStarted",
        at,
        actor,
        data: { attempt: Math.max(1, attempt + 1 + probe.attemptDelta) },
      };
    case "ProgressReported":
      return {
        type: "ProgressReported",
        at,
        actor,
        data: { attempt: n, progress: { current: 1, total: 2 } },
      };
    case "LogRecorded":
      return { type: "LogRecorded", at, actor, data: { attempt: n, line: "x" } };
    case "MetaUpdated":
      return { type: "MetaUpdated", at, actor, data: { attempt: n, meta: { step: n } } };
    case "JobCompleted":
      return { type: "JobCompleted", at, actor, data: { attempt: n, result: { ok: probe.atMs } } };
    case "AttemptFailed": {
      const error = { code: "handler_error", message: "m", retryable: probe.retryable };
      return {
        type: "AttemptFailed",
        at,
        actor,
        data:
          probe.retryInMs === null
            ? { attempt: n, error }
            : { attempt: n, error, retryAt: iso(START_TIME + probe.atMs + probe.retryInMs) },
      };
    }
    case "JobDeadLettered": {
      const { lastError, maxAttempts } = contextOf(state);
      const code = lastError?.code ?? "handler_error";
      const reason = (lastError?.retryable ?? probe.retryable) ? "attempts_exhausted" : "not_retryable";
      const edit = probe.deadLetterEdit;
      return {
        type: "JobDeadLettered",
        at,
        actor,
        data: {
          reason:
            edit !== "reason" ? reason : reason === "not_retryable" ? "attempts_exhausted" : "not_retryable",
          attempt: edit === "attempt" ? attempt + 1 : Math.max(1, attempt),
          maxAttempts: Math.max(1, maxAttempts + (edit === "maxAttempts" ? 1 : 0)),
          errorCode: edit === "errorCode" ? `${code}_x` : code,
        },
      };
    }
    case "JobCancelled":
      return {
        type: "JobCancelled",
        at,
        actor,
        data: probe.cancelReason === null ? {} : { reason: probe.cancelReason },
      };
    case "JobRetried":
      return {
        type: "JobRetried",
        at,
        actor,
        data: { reason: "r", maxAttempts: Math.max(1, attempt + probe.maxAttemptsDelta) },
      };
    case "JobEvicted":
      return {
        type: "JobEvicted",
        at,
        actor,
        data: { reason: probe.retryable ? "retention" : "purge", olderThanMs: probe.atMs },
      };
    case "StepCompleted":
      return {
        type: "StepCompleted",
        at,
        actor,
        data: { attempt: n, name: "s", fingerprint: "0123456789abcdef", result: probe.atMs },
      };
    case "StepFailed":
      return {
        type: "StepFailed",
        at,
        actor,
        data: {
          attempt: n,
          name: "s",
          fingerprint: "0123456789abcdef",
          error: { code: "handler_error", message: "m", retryable: probe.retryable },
        },
      };
    case "JobSuspended":
      return {
        type: "JobSuspended",
        at,
        actor,
        data: {
          attempt: n,
          kind: probe.retryable ? "sleep" : "signal",
          name: SIGNAL_NAMES[probe.atMs % SIGNAL_NAMES.length] ?? "a",
          until: iso(START_TIME + probe.atMs + (probe.retryInMs ?? 0)),
        },
      };
    case "SignalReceived":
      return {
        type: "SignalReceived",
        at,
        actor,
        data: { name: SIGNAL_NAMES[probe.atMs % SIGNAL_NAMES.length] ?? "a" },
      };
    case "DependencyEnded":
      return {
        type: "DependencyEnded",
        at,
        actor,
        data: { dependency: probe.dependency, status: probe.end },
      };
    case "JobReleased":
      return {
        type: "JobReleased",
        at,
        actor,
        data: {
          dependencies: Math.max(1, contextOf(state).dependencies.length + probe.attemptDelta),
          ended: Object.keys(contextOf(state).dependencyEnds).length,
        },
      };
    case "JobFailedByDependency":
      return {
        type: "JobFailedByDependency",
        at,
        actor,
        data: { dependency: probe.dependency, status: probe.end === "completed" ? "dead_letter" : probe.end },
      };
  }
};

const QUEUED_REASONS = [
  "retry_due",
  "delay_elapsed",
  "sleep_elapsed",
  "wait_timed_out",
  "signal_received",
] as const;
const SIGNAL_NAMES = ["a", "b"] as const;

const xstateSnapshotOf = (state: JobState): Snapshot =>
  jobMachine.resolveState({ value: state.value, context: state.context });

const sameState = (ours: JobState, theirs: Snapshot): void => {
  expect(ours.value).toBe(theirs.value as JobStatus);
  expect(ours.context).toEqual(theirs.context);
};

describe("the job machine's fast interpreter", () => {
  it("starts where XState's initial snapshot starts", () => {
    sameState(initialState(), initialTransition(jobMachine)[0]);
  });

  it("folds every random history to the state XState's transition() folds it to, event by event", () => {
    fc.assert(
      fc.property(historyArb, (steps) => {
        const history = runHistory(steps);
        let theirs = initialTransition(jobMachine)[0];
        history.events.forEach((event, i) => {
          theirs = transition(jobMachine, theirs, event)[0];
          sameState(history.states[i] as JobState, theirs);
        });
      }),
      { numRuns: 300 },
    );
  });

  it("accepts exactly the events XState has an enabled transition for, and evolves as transition() does, in any reachable state", () => {
    fc.assert(
      fc.property(historyArb, fc.array(probeArb, { minLength: 1, maxLength: 8 }), (steps, probes) => {
        const history = runHistory(steps);
        const states = [initialState(), ...history.states];
        for (const [i, probe] of probes.entries()) {
          const state = states[(i * 7) % states.length] as JobState;
          const event = probeEvent(probe, state);
          const snapshot = xstateSnapshotOf(state);
          const theirsAccept = jobMachine.getTransitionData(snapshot, event).length > 0;
          expect(accepts(state, event)).toBe(theirsAccept);
          if (theirsAccept) sameState(evolve(state, event), transition(jobMachine, snapshot, event)[0]);
          else expect(evolve(state, event)).toBe(state);
        }
      }),
      { numRuns: 500 },
    );
  });
});
