/**
 * Commands: imperatives that ask for a change to one job. Each carries the time (`at`) and the
 * actor as data; anything random (the jitter draw) is passed in too, so `decide` stays pure.
 */
import type { DependencyEndStatus } from "./dependencies.ts";
import type { Actor, AttemptError, EvictionReason, Progress, SuspensionKind } from "./events.ts";
import type { JobMeta } from "./job-meta.ts";
import type { JobSpec, Timestamp } from "./job-spec.ts";
import type { Json } from "./json.ts";

interface CommandBase {
  readonly at: Timestamp;
  readonly actor: Actor;
}

export interface SubmitJob extends CommandBase {
  readonly type: "SubmitJob";
  readonly spec: JobSpec;
  readonly runAt?: Timestamp;
  /** The submitter's trace (W3C traceparent), recorded in the JobSubmitted event. */
  readonly traceparent?: string;
  /**
   * Dependencies (of spec.dependsOn) already ended when the job is submitted: recorded in the
   * same append (ADR 0042), so an ended dependency counts at once.
   */
  readonly endedDependencies?: ReadonlyArray<{
    readonly jobId: string;
    readonly status: DependencyEndStatus;
  }>;
}
/** Move a pending job whose delay elapsed, or a failed job whose retry is due, to queued. */
export interface PromoteJob extends CommandBase {
  readonly type: "PromoteJob";
}
/** A worker takes a queued job; `attempt` must be the next attempt number. */
export interface StartAttempt extends CommandBase {
  readonly type: "StartAttempt";
  readonly attempt: number;
}
export interface ReportProgress extends CommandBase {
  readonly type: "ReportProgress";
  readonly attempt: number;
  readonly progress: Progress;
}
/** The running attempt's handler replaces the job's meta. */
export interface UpdateMeta extends CommandBase {
  readonly type: "UpdateMeta";
  readonly attempt: number;
  readonly meta: JobMeta;
}
export interface RecordLog extends CommandBase {
  readonly type: "RecordLog";
  readonly attempt: number;
  readonly line: string;
}
export interface CompleteAttempt extends CommandBase {
  readonly type: "CompleteAttempt";
  readonly attempt: number;
  readonly result: Json;
}
/** End an attempt as failed (handler error, timeout, lost lease, missing handler). */
export interface FailAttempt extends CommandBase {
  readonly type: "FailAttempt";
  readonly attempt: number;
  readonly error: AttemptError;
  /** A draw in [0, 1) for the backoff's jitter; ignored when the policy has none. */
  readonly random?: number;
}
export interface CancelJob extends CommandBase {
  readonly type: "CancelJob";
  readonly reason?: string;
}
/** Manual retry of a dead-lettered job, with a reason; grants `attempts` more (default: the spec's). */
export interface RetryJob extends CommandBase {
  readonly type: "RetryJob";
  readonly reason: string;
  readonly attempts?: number;
}

/**
 * Record that a finished job leaves Redis (ADR 0034): by retention, or an operator's purge; it
 * had ended at least `olderThanMs` before `at`.
 */
export interface EvictJob extends CommandBase {
  readonly type: "EvictJob";
  readonly reason: EvictionReason;
  readonly olderThanMs: number;
}

/** The running attempt's durable step finished: its result, or the error it ended with (ADR 0043). */
export interface RecordStep extends CommandBase {
  readonly type: "RecordStep";
  readonly attempt: number;
  readonly name: string;
  readonly index?: number;
  readonly fingerprint: string;
  readonly outcome: { readonly result: Json } | { readonly error: AttemptError };
}
/** End the running attempt suspended: a sleep, or a wait for a signal, until `until` at the latest. */
export interface SuspendAttempt extends CommandBase {
  readonly type: "SuspendAttempt";
  readonly attempt: number;
  readonly kind: SuspensionKind;
  readonly name: string;
  readonly until: Timestamp;
}
/** A signal sent to a job, with an optional payload (API, ADR 0043). */
export interface SignalJob extends CommandBase {
  readonly type: "SignalJob";
  readonly name: string;
  readonly payload?: Json;
}

/**
 * Record that a dependency of this job ended (ADR 0042), and release or fail the job if that
 * settles it. A repeat of an end already recorded, or one the job no longer waits for, is nothing
 * to do.
 */
export interface RecordDependencyEnd extends CommandBase {
  readonly type: "RecordDependencyEnd";
  readonly dependency: string;
  readonly status: DependencyEndStatus;
}

export type JobCommand =
  | SubmitJob
  | PromoteJob
  | StartAttempt
  | ReportProgress
  | UpdateMeta
  | RecordLog
  | CompleteAttempt
  | FailAttempt
  | CancelJob
  | RetryJob
  | EvictJob
  | RecordStep
  | SuspendAttempt
  | SignalJob
  | RecordDependencyEnd;
