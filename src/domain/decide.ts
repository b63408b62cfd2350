/**
 * The decider: `decide(command, state)` → the events that record it, or a typed rejection.
 *
 * It never throws, and "may this happen" is always the machine's answer (`accepts`): decide only
 * builds the candidate events, recognises repeats of something already done (→ no events), and
 * names the reason when the machine refuses. A command is one event, except a failure that
 * allows no retry: AttemptFailed and JobDeadLettered, which the caller appends together, so no
 * job is ever left between them (ADR 0022).
 */
import * as Result from "effect/Result";
import type { JobCommand, SubmitJob } from "./commands.ts";
import { dependencyOutcome, endOf } from "./dependencies.ts";
import type { JobEvent, JobEventOf } from "./events.ts";
import {
  attemptsUsed,
  deadLetterReason,
  type JobStatus,
  retryAllowed,
  submissionDigest,
} from "./job-context.ts";
import { accepts, contextOf, evolve, isTerminal, type JobState, statusOf } from "./job-state.ts";
import {
  MAX_SIGNALS_PER_JOB,
  MAX_STEPS_PER_JOB,
  MAX_SUSPENSIONS_PER_JOB,
  MAX_TIMESTAMP_MS,
} from "./limits.ts";
import { retryDelayMs } from "./retry-policy.ts";
import { stepKeyText } from "./steps.ts";

export type RejectionCode =
  | "job_not_found"
  | "job_exists"
  | "illegal_transition"
  | "job_evicted"
  | "stale_attempt"
  | "not_due"
  | "signal_already_received"
  | "too_many_steps"
  | "too_many_signals"
  | "too_many_suspensions";

export interface CommandRejected {
  readonly _tag: "CommandRejected";
  readonly code: RejectionCode;
  readonly message: string;
  readonly status: JobStatus;
}

export type Decision = Result.Result<ReadonlyArray<JobEvent>, CommandRejected>;

const reject = (state: JobState, code: RejectionCode, message: string): Decision =>
  Result.fail({ _tag: "CommandRejected", code, message, status: statusOf(state) });

const nothingToDo: Decision = Result.succeed([]);

/**
 * `at` plus `ms`, capped at the last instant a Timestamp holds, so a computed time is always one
 * (a valid `at` is the envelope check's business: an invalid one is returned as it is and refused
 * there, never thrown here).
 */
const addMs = (at: string, ms: number): string => {
  const due = Date.parse(at) + ms;
  return Number.isNaN(due) ? at : new Date(Math.min(due, MAX_TIMESTAMP_MS)).toISOString();
};

/**
 * A failure that allows no retry, then the dead letter it leads to: one fact each, at the same
 * time and by the same actor, so the attempt's failure and the job's end are both on record.
 */
const failedForGood = (
  command: Extract<JobCommand, { type: "FailAttempt" }>,
  maxAttempts: number,
): ReadonlyArray<JobEvent> => {
  const { at, actor, attempt, error } = command;
  return [
    { type: "AttemptFailed", at, actor, data: { attempt, error } },
    {
      type: "JobDeadLettered",
      at,
      actor,
      data: { reason: deadLetterReason(error), attempt, maxAttempts, errorCode: error.code },
    },
  ];
};

/**
 * A wait for a signal the job received while its attempt ran (after the handler looked): the
 * suspension is recorded, and the job re-queued by the same append (ADR 0043).
 */
const suspendedAndResumed = (command: JobCommand, state: JobState): boolean =>
  command.type === "SuspendAttempt" &&
  command.kind === "signal" &&
  contextOf(state).signals.includes(command.name);

/**
 * After the events so far, what the job's dependencies call for (ADR 0042): its release, or its
 * failure by policy (only while it waits: a job dead-lettered by policy stays so until released).
 */
const dependencyFollowUp = (
  state: JobState,
  events: ReadonlyArray<JobEvent>,
  at: string,
  actor: JobEvent["actor"],
): ReadonlyArray<JobEvent> => {
  const after = events.reduce(evolve, state);
  const waiting = statusOf(after) === "waiting";
  const deadByPolicy = statusOf(after) === "dead_letter" && contextOf(after).failedBy !== null;
  if (!waiting && !deadByPolicy) return events;
  const { dependencies, dependencyEnds } = contextOf(after);
  const outcome = dependencyOutcome(dependencies, dependencyEnds);
  if (outcome._tag === "Release")
    return [
      ...events,
      {
        type: "JobReleased",
        at,
        actor,
        data: { dependencies: dependencies.length, ended: Object.keys(dependencyEnds).length },
      },
    ];
  if (outcome._tag === "Fail" && waiting)
    return [
      ...events,
      {
        type: "JobFailedByDependency",
        at,
        actor,
        data: { dependency: outcome.dependency, status: outcome.status },
      },
    ];
  return events;
};

/** The events a command asks for, before the machine is consulted. */
/** Why a suspended job is queued when its time comes. */
const resumeReason = (state: JobState) =>
  contextOf(state).suspension?.kind === "sleep" ? ("sleep_elapsed" as const) : ("wait_timed_out" as const);
const candidates = (command: JobCommand, state: JobState): ReadonlyArray<JobEvent> => {
  if (command.type === "FailAttempt" && !retryAllowed(contextOf(state), command.error))
    return failedForGood(command, contextOf(state).maxAttempts);
  const { at, actor } = command;
  if (command.type === "SubmitJob" && command.spec.dependsOn !== undefined)
    return dependencyFollowUp(
      state,
      [
        candidate(command, state),
        ...(command.endedDependencies ?? []).map((end): JobEvent => ({
          type: "DependencyEnded",
          at,
          actor,
          data: { dependency: end.jobId, status: end.status },
        })),
      ],
      at,
      actor,
    );
  if (command.type === "RecordDependencyEnd")
    return dependencyFollowUp(state, [candidate(command, state)], at, actor);
  if (suspendedAndResumed(command, state))
    return [candidate(command, state), { type: "JobQueued", at, actor, data: { reason: "signal_received" } }];
  return [candidate(command, state)];
};

/** The one event any other command asks for. */
const candidate = (command: JobCommand, state: JobState): JobEvent => {
  const { at, actor } = command;
  const context = contextOf(state);
  switch (command.type) {
    case "SubmitJob":
      return {
        type: "JobSubmitted",
        at,
        actor,
        data: {
          spec: command.spec,
          ...(command.runAt === undefined ? {} : { runAt: command.runAt }),
          ...(command.traceparent === undefined ? {} : { traceparent: command.traceparent }),
        },
      };
    case "PromoteJob":
      return {
        type: "JobQueued",
        at,
        actor,
        data: {
          reason:
            statusOf(state) === "failed"
              ? "retry_due"
              : statusOf(state) === "suspended"
                ? resumeReason(state)
                : "delay_elapsed",
        },
      };
    case "StartAttempt":
      return { type: "AttemptStarted", at, actor, data: { attempt: command.attempt } };
    case "ReportProgress":
      return {
        type: "ProgressReported",
        at,
        actor,
        data: { attempt: command.attempt, progress: command.progress },
      };
    case "UpdateMeta":
      return { type: "MetaUpdated", at, actor, data: { attempt: command.attempt, meta: command.meta } };
    case "RecordLog":
      return { type: "LogRecorded", at, actor, data: { attempt: command.attempt, line: command.line } };
    case "CompleteAttempt":
      return { type: "JobCompleted", at, actor, data: { attempt: command.attempt, result: command.result } };
    case "FailAttempt": {
      // A retry is allowed here (candidates() handles the failure that allows none).
      // The backoff counts the attempts used: a suspended attempt was given back (ADR 0043).
      const delay = retryDelayMs(context.backoff, attemptsUsed(context), command.random ?? 0);
      return {
        type: "AttemptFailed",
        at,
        actor,
        data: { attempt: command.attempt, error: command.error, retryAt: addMs(at, delay) },
      };
    }
    case "CancelJob":
      return {
        type: "JobCancelled",
        at,
        actor,
        data: command.reason === undefined ? {} : { reason: command.reason },
      };
    case "RetryJob":
      return {
        type: "JobRetried",
        at,
        actor,
        data: {
          reason: command.reason,
          maxAttempts: attemptsUsed(context) + (command.attempts ?? context.attemptsPerRun),
        },
      };
    case "EvictJob":
      return {
        type: "JobEvicted",
        at,
        actor,
        data: { reason: command.reason, olderThanMs: command.olderThanMs },
      };
    case "RecordStep": {
      const key = {
        attempt: command.attempt,
        name: command.name,
        ...(command.index === undefined ? {} : { index: command.index }),
        fingerprint: command.fingerprint,
      };
      return "result" in command.outcome
        ? { type: "StepCompleted", at, actor, data: { ...key, result: command.outcome.result } }
        : { type: "StepFailed", at, actor, data: { ...key, error: command.outcome.error } };
    }
    case "SuspendAttempt":
      return {
        type: "JobSuspended",
        at,
        actor,
        data: { attempt: command.attempt, kind: command.kind, name: command.name, until: command.until },
      };
    case "SignalJob":
      return {
        type: "SignalReceived",
        at,
        actor,
        data: { name: command.name, ...(command.payload === undefined ? {} : { payload: command.payload }) },
      };
    case "RecordDependencyEnd":
      return {
        type: "DependencyEnded",
        at,
        actor,
        data: { dependency: command.dependency, status: command.status },
      };
  }
};

/** Repeats of something already done: answered with no events. */
const alreadyDone = (command: JobCommand, state: JobState): boolean => {
  const status = statusOf(state);
  const { attempt } = contextOf(state);
  switch (command.type) {
    case "PromoteJob":
      return status === "queued";
    case "StartAttempt":
      return status === "processing" && command.attempt === attempt;
    case "CompleteAttempt":
      return status === "completed" && command.attempt === attempt;
    case "FailAttempt":
      return (status === "failed" || status === "dead_letter") && command.attempt === attempt;
    case "CancelJob":
      return status === "cancelled";
    case "EvictJob":
      return contextOf(state).evicted;
    // A step outcome or a suspension whose append landed though its answer was lost (ADR 0043).
    case "RecordStep":
      return contextOf(state).lastStep === `${command.attempt}:${stepKeyText(command)}`;
    case "SuspendAttempt":
      return (
        (status === "suspended" || status === "queued") &&
        command.attempt === attempt &&
        contextOf(state).suspensions > 0
      );
    case "RecordDependencyEnd": {
      // Recorded already, or the job no longer waits on its dependencies (released, run,
      // cancelled): an end arriving then changes nothing (ADR 0042).
      const context = contextOf(state);
      const following =
        status === "waiting" || (status === "dead_letter" && context.failedBy !== null && !context.evicted);
      return !following || endOf(context.dependencyEnds, command.dependency) === command.status;
    }
    default:
      return false;
  }
};

/** Why the machine refused: the most specific reason we can name. */
const refusal = (command: JobCommand, state: JobState): Decision => {
  const status = statusOf(state);
  const context = contextOf(state);
  if ("attempt" in command) {
    const expected = command.type === "StartAttempt" ? context.attempt + 1 : context.attempt;
    if (command.attempt !== expected)
      return reject(
        state,
        "stale_attempt",
        `attempt ${command.attempt} is not the current attempt (${expected})`,
      );
  }
  // Recorded as evicted (ADR 0034): refused for that, as once it has left Redis (job-service.ts),
  // so a caller hears the same whether or not the archiver has let it go yet.
  if (context.evicted)
    return reject(
      state,
      "job_evicted",
      `the job ended ${status} and is recorded as evicted (its history is kept in the archive): it takes no more commands`,
    );
  if (
    command.type === "PromoteJob" &&
    (status === "pending" || status === "failed" || status === "suspended") &&
    context.dueAt !== null
  )
    return reject(state, "not_due", `the job is not due before ${context.dueAt}`);
  const bounded = boundRefusal(command, state);
  if (bounded !== undefined) return bounded;
  return reject(state, "illegal_transition", `${command.type} is not allowed when the job is ${status}`);
};

/** A durable-step command the machine refuses for a per-job bound, or a repeated signal. */
const boundRefusal = (command: JobCommand, state: JobState): Decision | undefined => {
  const context = contextOf(state);
  // A finished job refuses for being finished, whatever it holds.
  if (isTerminal(state)) return undefined;
  if (command.type === "RecordStep" && context.steps >= MAX_STEPS_PER_JOB)
    return reject(
      state,
      "too_many_steps",
      `the job has recorded ${MAX_STEPS_PER_JOB} step outcomes, the most one job may`,
    );
  if (command.type === "SuspendAttempt" && context.suspensions >= MAX_SUSPENSIONS_PER_JOB)
    return reject(
      state,
      "too_many_suspensions",
      `the job has been suspended ${MAX_SUSPENSIONS_PER_JOB} times, the most one job may`,
    );
  if (command.type === "SignalJob" && context.signals.includes(command.name))
    return reject(
      state,
      "signal_already_received",
      `the job has already received a signal named "${command.name}"`,
    );
  if (command.type === "SignalJob" && context.signals.length >= MAX_SIGNALS_PER_JOB)
    return reject(
      state,
      "too_many_signals",
      `the job has received ${MAX_SIGNALS_PER_JOB} signals, the most one job may`,
    );
  return undefined;
};

export const decide = (command: JobCommand, state: JobState): Decision => {
  const context = contextOf(state);
  if (command.type === "SubmitJob") {
    if (context.submitted) return nothingToDoOrConflict(command, state);
  } else if (!context.submitted) {
    return reject(state, "job_not_found", "the job has not been submitted");
  }
  if (alreadyDone(command, state)) return nothingToDo;
  const events = candidates(command, state);
  return acceptsAll(state, events) ? Result.succeed(events) : refusal(command, state);
};

/** Does the machine accept the events in turn (each in the state the one before leaves)? */
const acceptsAll = (state: JobState, events: ReadonlyArray<JobEvent>): boolean => {
  let current = state;
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as JobEvent;
    if (!accepts(current, event)) return false;
    if (i < events.length - 1) current = evolve(current, event);
  }
  return true;
};

/** A second submit of the same job: no events if it asks for the same thing, else a conflict. */
const nothingToDoOrConflict = (command: SubmitJob, state: JobState): Decision => {
  const event = candidate(command, state) as JobEventOf<"JobSubmitted">;
  return submissionDigest(event.data) === contextOf(state).submissionDigest
    ? nothingToDo
    : reject(state, "job_exists", "a different job was already submitted under this id");
};
