/**
 * The job machine's guards (job-machine.ts), as plain pure functions: XState runs them through
 * `setup`, and the fast interpreter in job-state.ts calls the very same functions, so there is
 * one definition of each.
 */
import { dependencyOutcome, endOf } from "./dependencies.ts";
import type { JobEvent } from "./events.ts";
import {
  attemptsUsed,
  deadLetterReason,
  eventOfType as on,
  type JobContext,
  type MachineArgs,
  retryAllowed,
} from "./job-context.ts";
import { MAX_SIGNALS_PER_JOB, MAX_STEPS_PER_JOB, MAX_SUSPENSIONS_PER_JOB } from "./limits.ts";

const isCurrentAttempt = (context: JobContext, event: JobEvent): boolean =>
  "attempt" in event.data && event.data.attempt === context.attempt;

/** ISO timestamps of one fixed format compare chronologically as numbers of milliseconds. */
const notBefore = (at: string, dueAt: string | null): boolean =>
  dueAt === null || Date.parse(at) >= Date.parse(dueAt);

/** The recorded ends release the job, and the JobReleased restates its counts exactly. */
const releases = (context: JobContext, event: JobEvent): boolean => {
  const e = on(event, "JobReleased");
  return (
    e !== undefined &&
    dependencyOutcome(context.dependencies, context.dependencyEnds)._tag === "Release" &&
    e.data.dependencies === context.dependencies.length &&
    e.data.ended === Object.keys(context.dependencyEnds).length
  );
};

export const jobGuards = {
  /** First submission of a job that names dependencies: it waits for them (ADR 0042). */
  submittedWithDependencies: ({ context, event }: MachineArgs): boolean => {
    const e = on(event, "JobSubmitted");
    return e !== undefined && !context.submitted && (e.data.spec.dependsOn?.length ?? 0) > 0;
  },
  /** First submission of a job whose start time has come (no runAt, or runAt <= at). */
  submittedAndDue: ({ context, event }: MachineArgs): boolean => {
    const e = on(event, "JobSubmitted");
    return e !== undefined && !context.submitted && notBefore(e.at, e.data.runAt ?? null);
  },
  /** First submission of a job that must wait until runAt. */
  submittedAndDelayed: ({ context, event }: MachineArgs): boolean => {
    const e = on(event, "JobSubmitted");
    return e !== undefined && !context.submitted && !notBefore(e.at, e.data.runAt ?? null);
  },
  /**
   * A submitted job whose wait (delay or retry backoff) has elapsed. A failed job with no due
   * time has no retry to wait for: it awaits its JobDeadLettered.
   */
  waitElapsed: ({ context, event }: MachineArgs): boolean =>
    context.submitted && context.dueAt !== null && notBefore(event.at, context.dueAt),
  isSubmitted: ({ context }: MachineArgs): boolean => context.submitted,
  /** The next attempt, and only while attempts remain. */
  attemptsRemain: ({ context, event }: MachineArgs): boolean => {
    const e = on(event, "AttemptStarted");
    return (
      e !== undefined && e.data.attempt === context.attempt + 1 && attemptsUsed(context) < context.maxAttempts
    );
  },
  /** Fencing: the event comes from the current attempt's lease holder. */
  currentAttempt: ({ context, event }: MachineArgs): boolean => isCurrentAttempt(context, event),
  /** Current attempt failed, retry allowed, and the event says when. */
  retryScheduled: ({ context, event }: MachineArgs): boolean => {
    const e = on(event, "AttemptFailed");
    return (
      e !== undefined &&
      isCurrentAttempt(context, e) &&
      retryAllowed(context, e.data.error) &&
      e.data.retryAt !== undefined
    );
  },
  /** Current attempt failed and no retry is allowed (attempts spent or error not retryable). */
  noRetryAllowed: ({ context, event }: MachineArgs): boolean => {
    const e = on(event, "AttemptFailed");
    return (
      e !== undefined &&
      isCurrentAttempt(context, e) &&
      !retryAllowed(context, e.data.error) &&
      e.data.retryAt === undefined
    );
  },
  /** A failed job whose retry is scheduled (not a failure awaiting its JobDeadLettered). */
  retryPending: ({ context }: MachineArgs): boolean => context.dueAt !== null,
  /**
   * The failure just recorded allows no retry, and the event restates it exactly: the reason
   * its error gives, its attempt, the attempt cap and its error code.
   */
  deadLetterDue: ({ context, event }: MachineArgs): boolean => {
    const e = on(event, "JobDeadLettered");
    const error = context.lastError;
    return (
      e !== undefined &&
      error !== null &&
      context.dueAt === null &&
      !retryAllowed(context, error) &&
      e.data.reason === deadLetterReason(error) &&
      e.data.attempt === context.attempt &&
      e.data.maxAttempts === context.maxAttempts &&
      e.data.errorCode === error.code
    );
  },
  /** A manual retry must grant at least one more attempt, and the job must still be in Redis. */
  grantsAttempts: ({ context, event }: MachineArgs): boolean => {
    const e = on(event, "JobRetried");
    return e !== undefined && e.data.maxAttempts > attemptsUsed(context) && !context.evicted;
  },
  /** A step outcome of the current attempt, while the job may record more (ADR 0043). */
  stepRecordable: ({ context, event }: MachineArgs): boolean =>
    isCurrentAttempt(context, event) && context.steps < MAX_STEPS_PER_JOB,
  /** The current attempt suspends the job, while it may suspend more (ADR 0043). */
  suspendable: ({ context, event }: MachineArgs): boolean =>
    isCurrentAttempt(context, event) && context.suspensions < MAX_SUSPENSIONS_PER_JOB,
  /** A signal the job has not received yet, while it may receive more. */
  signalNew: ({ context, event }: MachineArgs): boolean => {
    const e = on(event, "SignalReceived");
    return (
      e !== undefined &&
      !context.signals.includes(e.data.name) &&
      context.signals.length < MAX_SIGNALS_PER_JOB
    );
  },
  /** A new signal while a retry is scheduled (not a failure awaiting its JobDeadLettered). */
  signalNewWhileRetrying: (args: MachineArgs): boolean =>
    args.context.dueAt !== null && jobGuards.signalNew(args),
  /** The new signal a suspended job waits for: it resumes the job. */
  signalAwaited: (args: MachineArgs): boolean => {
    const e = on(args.event, "SignalReceived");
    const waiting = args.context.suspension;
    return (
      e !== undefined &&
      waiting !== null &&
      waiting.kind === "signal" &&
      waiting.name === e.data.name &&
      jobGuards.signalNew(args)
    );
  },
  /**
   * A suspended job waits for a signal it had already received (it arrived while the attempt ran,
   * after the handler looked): re-queued at once, by a JobQueued in the same append.
   */
  awaitedSignalReceived: ({ context, event }: MachineArgs): boolean => {
    const e = on(event, "JobQueued");
    const waiting = context.suspension;
    return (
      e !== undefined &&
      e.data.reason === "signal_received" &&
      waiting !== null &&
      waiting.kind === "signal" &&
      context.signals.includes(waiting.name)
    );
  },
  /** A suspended job's sleep, or its wait's timeout, has come, and the event says which. */
  suspensionElapsed: (args: MachineArgs): boolean => {
    const e = on(args.event, "JobQueued");
    const waiting = args.context.suspension;
    return (
      e !== undefined &&
      waiting !== null &&
      e.data.reason === (waiting.kind === "sleep" ? "sleep_elapsed" : "wait_timed_out") &&
      jobGuards.waitElapsed(args)
    );
  },
  /** A finished job is evicted once (ADR 0034). */
  notEvicted: ({ context }: MachineArgs): boolean => !context.evicted,
  /** A dependency's end not yet recorded as such: one of the job's, with a status it did not have. */
  newDependencyEnd: ({ context, event }: MachineArgs): boolean => {
    const e = on(event, "DependencyEnded");
    return (
      e !== undefined &&
      context.dependencies.some((d) => d.jobId === e.data.dependency) &&
      endOf(context.dependencyEnds, e.data.dependency) !== e.data.status
    );
  },
  /** As newDependencyEnd, for a job dead-lettered by policy and still in Redis. */
  newDependencyEndAfterFailure: (args: MachineArgs): boolean =>
    args.context.failedBy !== null && !args.context.evicted && jobGuards.newDependencyEnd(args),
  /** The recorded ends release the job, and its start time (runAt) has come. */
  releasedAndDue: ({ context, event }: MachineArgs): boolean =>
    releases(context, event) && notBefore(event.at, context.dueAt),
  /** The recorded ends release the job, which must still wait until its runAt. */
  releasedAndDelayed: ({ context, event }: MachineArgs): boolean =>
    releases(context, event) && !notBefore(event.at, context.dueAt),
  /**
   * Dead-lettered by a dependency's failure and still in Redis: it may yet be released, so it
   * can still be cancelled (by hand, or with its flow's parent), which ends that (ADR 0042).
   */
  mayStillBeReleased: ({ context }: MachineArgs): boolean => context.failedBy !== null && !context.evicted,
  /** A job dead-lettered by policy whose failed dependency has since completed (ADR 0042). */
  releasedAfterFailure: ({ context, event }: MachineArgs): boolean =>
    context.failedBy !== null && !context.evicted && releases(context, event),
  /** The recorded ends fail the job by policy, and the event names that dependency's end. */
  failedByPolicy: ({ context, event }: MachineArgs): boolean => {
    const e = on(event, "JobFailedByDependency");
    if (e === undefined) return false;
    const outcome = dependencyOutcome(context.dependencies, context.dependencyEnds);
    return (
      outcome._tag === "Fail" && outcome.dependency === e.data.dependency && outcome.status === e.data.status
    );
  },
} as const;
