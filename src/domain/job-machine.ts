/**
 * The job lifecycle as an XState v5 machine: the only place that says which transitions exist.
 *
 * Pure by construction: assign-only actions, named guards over (context, event), no invoke, no
 * `after`, no promises. Its events are the domain's JobEvents themselves, so folding a job's
 * history is `initialTransition` then `transition` per event (replay.ts).
 *
 * `pending` doubles as the state before submission (`context.submitted === false`); only
 * JobSubmitted leaves that pre-state. Every failed attempt leads to `failed`; from there a
 * scheduled retry is queued when due, and a failure that allows none is followed by
 * JobDeadLettered — the only event accepted then, and decided in the same append, so no history
 * at rest stops between the two (ADR 0022). `dead_letter` is terminal except for an explicit,
 * recorded JobRetried. A processing attempt may also end `suspended` (a durable sleep or a wait
 * for a signal, ADR 0043), from where the job is queued again when its time or its signal comes.
 */
import { assign, setup } from "xstate";
import { canonicalJson, sha256Hex } from "./canonical-json.ts";
import { type Dependency, type DependencyEnds, dependencyOutcome, endOf } from "./dependencies.ts";
import type {
  AttemptError,
  DeadLetterReason,
  JobEvent,
  JobEventOf,
  Progress,
  SuspensionKind,
} from "./events.ts";
import type { JobSpec } from "./job-spec.ts";
import type { Json } from "./json.ts";
import { MAX_SIGNALS_PER_JOB, MAX_STEPS_PER_JOB, MAX_SUSPENSIONS_PER_JOB } from "./limits.ts";
import { MACHINE_VERSION } from "./machine-version.ts";
import { stepKeyText } from "./steps.ts";
import type { Backoff } from "./retry-policy.ts";

export const JOB_STATES = [
  "pending",
  "waiting",
  "queued",
  "processing",
  "completed",
  "failed",
  "dead_letter",
  "cancelled",
  "suspended",
] as const;
export type JobStatus = (typeof JOB_STATES)[number];

/**
 * States a job ends in: they accept nothing more but the record that the job left Redis
 * (JobEvicted), and dead_letter a manual retry before that.
 */
export const TERMINAL_STATES: ReadonlySet<JobStatus> = new Set(["completed", "cancelled", "dead_letter"]);

export interface JobContext {
  readonly submitted: boolean;
  /** SHA-256 of the canonical JobSubmitted data: tells a repeated submit from a conflicting one. */
  readonly submissionDigest: string;
  readonly jobType: string;
  readonly queue: string;
  readonly priority: JobSpec["priority"];
  readonly backoff: Backoff;
  readonly timeoutMs: number | null;
  /** Attempts started so far; also the current lease's fencing epoch. */
  readonly attempt: number;
  /** Attempts allowed in total; a manual retry raises it. */
  readonly maxAttempts: number;
  /** The spec's maxAttempts: the budget a manual retry grants by default. */
  readonly attemptsPerRun: number;
  /** When a pending job becomes due, or a failed job's retry is due (null: no retry, see below). */
  readonly dueAt: string | null;
  readonly lastError: AttemptError | null;
  readonly progress: Progress | null;
  readonly result: Json | null;
  /** The spec's `retainMs`: how long the job stays in Redis once ended (null: the deployment's). */
  readonly retainMs: number | null;
  /** A JobEvicted was recorded: the job has left (or is leaving) Redis, and nothing follows. */
  readonly evicted: boolean;
  /** The submitter's trace (W3C traceparent) the job's attempts join, when it was given one. */
  readonly traceparent: string | null;
  /** The spec's concurrencyKey and its limit (1 unless given): claims count running jobs by it. */
  readonly concurrencyKey: string | null;
  readonly concurrencyLimit: number | null;
  /** Step outcomes recorded (StepCompleted and StepFailed), bounded by MAX_STEPS_PER_JOB (ADR 0043). */
  readonly steps: number;
  /**
   * Attempts that ended suspended (JobSuspended). They are given back: the attempts a job has
   * used of its maxAttempts are `attempt − suspensions` (see attemptsUsed).
   */
  readonly suspensions: number;
  /** What a suspended job waits for (null in every other state). */
  readonly suspension: { readonly kind: SuspensionKind; readonly name: string } | null;
  /** Names of the signals received, in order (each name once, at most MAX_SIGNALS_PER_JOB). */
  readonly signals: ReadonlyArray<string>;
  /**
   * The last step outcome recorded, as `<attempt>:<key>`: a write of it repeated after a lost
   * answer is recognised (decide appends nothing), so no step is recorded twice that way.
   */
  readonly lastStep: string | null;
  /** The jobs this one depends on (ADR 0042); empty when none. Fixed at submit. */
  readonly dependencies: ReadonlyArray<Dependency>;
  /** The last recorded end of each dependency that ended. */
  readonly dependencyEnds: DependencyEnds;
  /** The dependency whose failure dead-lettered this job by policy, while it stays so. */
  readonly failedBy: string | null;
}

export const initialContext: JobContext = {
  submitted: false,
  submissionDigest: "",
  jobType: "",
  queue: "",
  priority: "normal",
  backoff: { type: "fixed", delayMs: 0 },
  timeoutMs: null,
  attempt: 0,
  maxAttempts: 0,
  attemptsPerRun: 0,
  dueAt: null,
  lastError: null,
  progress: null,
  result: null,
  retainMs: null,
  evicted: false,
  traceparent: null,
  concurrencyKey: null,
  concurrencyLimit: null,
  steps: 0,
  suspensions: 0,
  suspension: null,
  signals: [],
  lastStep: null,
  dependencies: [],
  dependencyEnds: {},
  failedBy: null,
};

/**
 * Identifies what was submitted, so a repeat of the same submission can be recognised. The trace
 * it came from is not part of it: a client retrying a submit sends it from a new span.
 */
export const submissionDigest = (data: JobEventOf<"JobSubmitted">["data"]): string => {
  const { traceparent: _trace, ...submitted } = data;
  return sha256Hex(canonicalJson(submitted));
};

/**
 * The attempts a job has used of its maxAttempts: those started (`attempt`, the fencing epoch)
 * less those that ended suspended, which a resume gives back (ADR 0043).
 */
export const attemptsUsed = (context: JobContext): number => context.attempt - context.suspensions;

/** True when a failed attempt may be retried: the error is retryable and attempts remain. */
export const retryAllowed = (context: JobContext, error: AttemptError): boolean =>
  error.retryable && attemptsUsed(context) < context.maxAttempts;

/** Why a failure that allows no retry dead-letters the job (see DeadLetterReason). */
export const deadLetterReason = (error: AttemptError): DeadLetterReason =>
  error.retryable ? "attempts_exhausted" : "not_retryable";

const isCurrentAttempt = (context: JobContext, event: JobEvent): boolean =>
  "attempt" in event.data && event.data.attempt === context.attempt;

/** ISO timestamps of one fixed format compare chronologically as numbers of milliseconds. */
const notBefore = (at: string, dueAt: string | null): boolean =>
  dueAt === null || Date.parse(at) >= Date.parse(dueAt);

const on = <T extends JobEvent["type"]>(event: JobEvent, type: T): JobEventOf<T> | undefined =>
  event.type === type ? (event as JobEventOf<T>) : undefined;

/** What a guard or an assigner sees: the job's context and the event being folded. */
export interface MachineArgs {
  readonly context: JobContext;
  readonly event: JobEvent;
}

/**
 * The machine's guards, as plain pure functions: XState runs them through `setup`, and the fast
 * interpreter in job-state.ts calls the very same functions, so there is one definition of each.
 */
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

/** The machine's actions: each is an `assign` of the partial context one of these returns. */
export const jobAssigners = {
  recordSubmission: ({ event }: MachineArgs): Partial<JobContext> => {
    const e = on(event, "JobSubmitted");
    if (e === undefined) return {};
    const { spec } = e.data;
    return {
      submitted: true,
      submissionDigest: submissionDigest(e.data),
      jobType: spec.jobType,
      queue: spec.queue,
      priority: spec.priority,
      backoff: spec.backoff,
      timeoutMs: spec.timeoutMs ?? null,
      retainMs: spec.retainMs ?? null,
      maxAttempts: spec.maxAttempts,
      attemptsPerRun: spec.maxAttempts,
      dueAt: e.data.runAt ?? null,
      traceparent: e.data.traceparent ?? null,
      concurrencyKey: spec.concurrencyKey ?? null,
      concurrencyLimit: spec.concurrencyKey === undefined ? null : (spec.concurrencyLimit ?? 1),
      dependencies: spec.dependsOn ?? [],
    };
  },
  clearDue: (_: MachineArgs): Partial<JobContext> => ({ dueAt: null }),
  startAttempt: ({ context }: MachineArgs): Partial<JobContext> => ({
    attempt: context.attempt + 1,
    progress: null,
  }),
  recordProgress: ({ context, event }: MachineArgs): Partial<JobContext> => ({
    progress: on(event, "ProgressReported")?.data.progress ?? context.progress,
  }),
  recordResult: ({ context, event }: MachineArgs): Partial<JobContext> => ({
    result: on(event, "JobCompleted")?.data.result ?? context.result,
  }),
  recordFailure: ({ event }: MachineArgs): Partial<JobContext> => {
    const e = on(event, "AttemptFailed");
    return e === undefined ? {} : { lastError: e.data.error, dueAt: e.data.retryAt ?? null };
  },
  grantAttempts: ({ context, event }: MachineArgs): Partial<JobContext> => ({
    maxAttempts: on(event, "JobRetried")?.data.maxAttempts ?? context.maxAttempts,
    dueAt: null,
    failedBy: null,
  }),
  recordDependencyEnd: ({ context, event }: MachineArgs): Partial<JobContext> => {
    const e = on(event, "DependencyEnded");
    return e === undefined
      ? {}
      : { dependencyEnds: { ...context.dependencyEnds, [e.data.dependency]: e.data.status } };
  },
  recordFailedBy: ({ event }: MachineArgs): Partial<JobContext> => ({
    failedBy: on(event, "JobFailedByDependency")?.data.dependency ?? null,
  }),
  clearFailedBy: (_: MachineArgs): Partial<JobContext> => ({ failedBy: null }),
  recordEviction: (_: MachineArgs): Partial<JobContext> => ({ evicted: true }),
  countStep: ({ context, event }: MachineArgs): Partial<JobContext> => {
    const e = event.type === "StepCompleted" || event.type === "StepFailed" ? event : undefined;
    return e === undefined
      ? {}
      : { steps: context.steps + 1, lastStep: `${e.data.attempt}:${stepKeyText(e.data)}` };
  },
  recordSuspension: ({ context, event }: MachineArgs): Partial<JobContext> => {
    const e = on(event, "JobSuspended");
    return e === undefined
      ? {}
      : {
          suspensions: context.suspensions + 1,
          suspension: { kind: e.data.kind, name: e.data.name },
          dueAt: e.data.until,
          progress: null,
        };
  },
  recordSignal: ({ context, event }: MachineArgs): Partial<JobContext> => {
    const e = on(event, "SignalReceived");
    return e === undefined ? {} : { signals: [...context.signals, e.data.name] };
  },
  resume: (_: MachineArgs): Partial<JobContext> => ({ suspension: null, dueAt: null }),
} as const;

export const jobMachine = setup({
  types: {
    context: {} as JobContext,
    events: {} as JobEvent,
  },
  guards: jobGuards,
  actions: {
    recordSubmission: assign(jobAssigners.recordSubmission),
    clearDue: assign(jobAssigners.clearDue),
    startAttempt: assign(jobAssigners.startAttempt),
    recordProgress: assign(jobAssigners.recordProgress),
    recordResult: assign(jobAssigners.recordResult),
    recordFailure: assign(jobAssigners.recordFailure),
    grantAttempts: assign(jobAssigners.grantAttempts),
    recordEviction: assign(jobAssigners.recordEviction),
    countStep: assign(jobAssigners.countStep),
    recordSuspension: assign(jobAssigners.recordSuspension),
    recordSignal: assign(jobAssigners.recordSignal),
    resume: assign(jobAssigners.resume),
    recordDependencyEnd: assign(jobAssigners.recordDependencyEnd),
    recordFailedBy: assign(jobAssigners.recordFailedBy),
    clearFailedBy: assign(jobAssigners.clearFailedBy),
  },
}).createMachine({
  id: "job",
  version: String(MACHINE_VERSION),
  initial: "pending",
  context: initialContext,
  states: {
    pending: {
      on: {
        JobSubmitted: [
          { guard: "submittedWithDependencies", target: "waiting", actions: "recordSubmission" },
          { guard: "submittedAndDue", target: "queued", actions: ["recordSubmission", "clearDue"] },
          { guard: "submittedAndDelayed", actions: "recordSubmission" },
        ],
        JobQueued: { guard: "waitElapsed", target: "queued", actions: "clearDue" },
        JobCancelled: { guard: "isSubmitted", target: "cancelled" },
        SignalReceived: { guard: "signalNew", actions: "recordSignal" },
      },
    },
    // Waiting for its dependencies (ADR 0042): each end is recorded, then the job is released,
    // or dead-lettered by a `fail` dependency's failure.
    waiting: {
      on: {
        DependencyEnded: { guard: "newDependencyEnd", actions: "recordDependencyEnd" },
        JobReleased: [
          { guard: "releasedAndDue", target: "queued", actions: "clearDue" },
          { guard: "releasedAndDelayed", target: "pending" },
        ],
        JobFailedByDependency: { guard: "failedByPolicy", target: "dead_letter", actions: "recordFailedBy" },
        JobCancelled: { target: "cancelled" },
        // Kept for the handler's ctx.waitFor once the job runs, as in every state before it ends.
        SignalReceived: { guard: "signalNew", actions: "recordSignal" },
      },
    },
    queued: {
      on: {
        AttemptStarted: { guard: "attemptsRemain", target: "processing", actions: "startAttempt" },
        JobCancelled: { target: "cancelled" },
        SignalReceived: { guard: "signalNew", actions: "recordSignal" },
      },
    },
    processing: {
      on: {
        ProgressReported: { guard: "currentAttempt", actions: "recordProgress" },
        LogRecorded: { guard: "currentAttempt" },
        // Meta is the read side's: the machine only fences it (kept out of the context, so
        // heads stay slim).
        MetaUpdated: { guard: "currentAttempt" },
        JobCompleted: { guard: "currentAttempt", target: "completed", actions: "recordResult" },
        AttemptFailed: [
          { guard: "retryScheduled", target: "failed", actions: "recordFailure" },
          { guard: "noRetryAllowed", target: "failed", actions: "recordFailure" },
        ],
        JobCancelled: { target: "cancelled" },
        // Durable steps and suspension (ADR 0043).
        StepCompleted: { guard: "stepRecordable", actions: "countStep" },
        StepFailed: { guard: "stepRecordable", actions: "countStep" },
        JobSuspended: { guard: "suspendable", target: "suspended", actions: "recordSuspension" },
        SignalReceived: { guard: "signalNew", actions: "recordSignal" },
      },
    },
    failed: {
      on: {
        JobQueued: { guard: "waitElapsed", target: "queued", actions: "clearDue" },
        JobDeadLettered: { guard: "deadLetterDue", target: "dead_letter" },
        JobCancelled: { guard: "retryPending", target: "cancelled" },
        SignalReceived: { guard: "signalNewWhileRetrying", actions: "recordSignal" },
      },
    },
    // The attempt ended with a sleep or a wait (ADR 0043): no worker holds the job; it is in the
    // delayed set until `dueAt`, and a wait's signal re-queues it sooner.
    suspended: {
      on: {
        JobQueued: [
          { guard: "suspensionElapsed", target: "queued", actions: "resume" },
          { guard: "awaitedSignalReceived", target: "queued", actions: "resume" },
        ],
        SignalReceived: [
          { guard: "signalAwaited", target: "queued", actions: ["recordSignal", "resume"] },
          { guard: "signalNew", actions: "recordSignal" },
        ],
        JobCancelled: { target: "cancelled" },
      },
    },
    dead_letter: {
      tags: ["terminal"],
      on: {
        JobRetried: { guard: "grantsAttempts", target: "queued", actions: "grantAttempts" },
        JobEvicted: { guard: "notEvicted", actions: "recordEviction" },
        // Dead-lettered by a dependency's failure: that dependency retried and completed
        // releases the job after all (ADR 0042).
        DependencyEnded: { guard: "newDependencyEndAfterFailure", actions: "recordDependencyEnd" },
        JobReleased: {
          guard: "releasedAfterFailure",
          target: "queued",
          actions: ["clearDue", "clearFailedBy"],
        },
        JobCancelled: { guard: "mayStillBeReleased", target: "cancelled", actions: "clearFailedBy" },
      },
    },
    // Not XState `final` states: a finished job still records that it left Redis (ADR 0034).
    completed: {
      tags: ["terminal"],
      on: { JobEvicted: { guard: "notEvicted", actions: "recordEviction" } },
    },
    cancelled: {
      tags: ["terminal"],
      on: { JobEvicted: { guard: "notEvicted", actions: "recordEviction" } },
    },
  },
});

export type JobMachine = typeof jobMachine;
