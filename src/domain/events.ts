/**
 * The job events: past-tense facts, one tagged union, defined with Effect Schema.
 *
 * A `JobEvent` is what the decider produces and what the machine consumes: `type`, `at` (time
 * as data), `actor` (who or what caused it) and `data`. The envelope (envelope.ts) adds the job
 * id, the sequence number, the versions and the hash chain around it.
 */
import * as Schema from "effect/Schema";
import { DependencyEndStatus, DependencyFailureStatus } from "./dependencies.ts";
import { JobId } from "./job-id.ts";
import { JobMeta } from "./job-meta.ts";
import { JobSpec, Name, NonNegativeInt, PositiveInt, Timestamp } from "./job-spec.ts";
import { JsonValue } from "./json-value.ts";
import {
  ACTOR_CLAIM_PATTERN,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_LOG_LINE_LENGTH,
  MAX_PROGRESS_MESSAGE_LENGTH,
  MAX_REASON_LENGTH,
  MAX_STEP_INDEX,
  STEP_FINGERPRINT_LENGTH,
} from "./limits.ts";
import { Text } from "./text.ts";
import { Traceparent } from "./trace-context.ts";

/**
 * What a caller may claim to be, unverified (the API's `Docket-Actor` header): 1 to 128 ASCII
 * letters, digits and `_ . @ : -`, so it is well-formed by construction and safe in any text.
 */
export const ActorClaim = Schema.String.check(Schema.isPattern(ACTOR_CLAIM_PATTERN));

/**
 * Who or what caused an event. `id` is the worker id, the authenticated API principal (the
 * name of the bearer token, `anonymous` when the API runs without tokens), the scheduler's id,
 * etc. `unauthenticatedClaim` is present only when an API caller sent a `Docket-Actor` header:
 * what the caller says about itself, recorded as said and never trusted (ADR 0017).
 */
export const ActorKind = Schema.Literals(["client", "worker", "scheduler", "operator", "system"]);
export const Actor = Schema.Struct({
  kind: ActorKind,
  id: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(256)),
  unauthenticatedClaim: Schema.optionalKey(ActorClaim),
});
export type Actor = typeof Actor.Type;

/**
 * Why an attempt failed. `code` is stable and machine-readable (`handler_error`, `timeout`,
 * `lease_expired`, `no_handler`, or a handler's own code); retryability is explicit, never
 * inferred from the message.
 */
export const AttemptError = Schema.Struct({
  code: Name,
  message: Text(0, MAX_ERROR_MESSAGE_LENGTH),
  retryable: Schema.Boolean,
});
export type AttemptError = typeof AttemptError.Type;

export const Progress = Schema.Struct({
  current: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)),
  total: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)),
  message: Schema.optionalKey(Text(0, MAX_PROGRESS_MESSAGE_LENGTH)),
});
export type Progress = typeof Progress.Type;

/** Why an operator cancelled or retried a job. */
export const ManualReason = Text(1, MAX_REASON_LENGTH);

/**
 * Why a job was dead-lettered: its failed attempt's error was not retryable, or that attempt was
 * the last one allowed. When both hold, the error's nature is named (`not_retryable`): more
 * attempts would not have helped.
 */
export const DeadLetterReason = Schema.Literals(["not_retryable", "attempts_exhausted"]);
export type DeadLetterReason = typeof DeadLetterReason.Type;

/**
 * Why a finished job left Redis: its retention ran out (the deployment's for its end state, or
 * its own `retainMs`), or an operator purged it (`docket jobs purge`). Either way its whole
 * history, this event included, is in the signed archive first (ADR 0034).
 */
export const EvictionReason = Schema.Literals(["retention", "purge"]);
export type EvictionReason = typeof EvictionReason.Type;

/**
 * A durable step's key (ADR 0043): its name, and an index for a step run in a loop. A job records
 * at most one StepCompleted per key.
 */
export const StepKeyFields = {
  name: Name,
  index: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: MAX_STEP_INDEX }))),
};

/** A step's code fingerprint as recorded (SHA-256 hex of its source, or of the version it names). */
export const StepFingerprint = Schema.String.check(
  Schema.isPattern(new RegExp(`^[0-9a-f]{${STEP_FINGERPRINT_LENGTH}}$`)),
);

/**
 * Why a job is suspended (ADR 0043): a `sleep` until `until`, or a wait for the signal `name`
 * until `until` (its timeout). Either way the job is re-queued at `until` at the latest.
 */
export const SuspensionKind = Schema.Literals(["sleep", "signal"]);
export type SuspensionKind = typeof SuspensionKind.Type;

/** Why a job left pending, failed or suspended for queued. */
export const QueuedReason = Schema.Literals([
  "delay_elapsed",
  "retry_due",
  "sleep_elapsed",
  "wait_timed_out",
  "signal_received",
]);
export type QueuedReason = typeof QueuedReason.Type;

/** Each event's data schema, by event type. Adding a type here adds it everywhere. */
export const EventData = {
  /**
   * Accepted. Queued at once, or pending until `runAt` when that lies after `at`. `traceparent`:
   * the submitter's trace (W3C), which the job's attempts join (ADR 0031); not part of what was
   * submitted (a repeat of the same submission from another trace is the same submission).
   */
  JobSubmitted: Schema.Struct({
    spec: JobSpec,
    runAt: Schema.optionalKey(Timestamp),
    traceparent: Schema.optionalKey(Traceparent),
  }),
  /** A pending job's delay, or a failed job's retry wait, has elapsed: it may now run. */
  JobQueued: Schema.Struct({ reason: QueuedReason }),
  /** A worker took the job; `attempt` is the new attempt number and the lease's fencing epoch. */
  AttemptStarted: Schema.Struct({ attempt: PositiveInt }),
  ProgressReported: Schema.Struct({ attempt: PositiveInt, progress: Progress }),
  /** The current attempt's handler replaced the job's meta (the whole object, not a patch). */
  MetaUpdated: Schema.Struct({ attempt: PositiveInt, meta: JobMeta }),
  LogRecorded: Schema.Struct({
    attempt: PositiveInt,
    line: Text(0, MAX_LOG_LINE_LENGTH),
  }),
  JobCompleted: Schema.Struct({ attempt: PositiveInt, result: JsonValue }),
  /**
   * The attempt failed. With `retryAt` a retry is scheduled; without it no retry is allowed and
   * a JobDeadLettered follows in the same append. The machine checks that `retryAt` is present
   * exactly when a retry is allowed (retryable error and attempts remain).
   */
  AttemptFailed: Schema.Struct({
    attempt: PositiveInt,
    error: AttemptError,
    retryAt: Schema.optionalKey(Timestamp),
  }),
  /**
   * The job ended in dead_letter: why, after which attempt of how many allowed, and that
   * attempt's error code (the error itself is in the AttemptFailed just before, appended with
   * this event in one call). The machine checks every member against the failure it follows.
   */
  JobDeadLettered: Schema.Struct({
    reason: DeadLetterReason,
    attempt: PositiveInt,
    maxAttempts: PositiveInt,
    errorCode: Name,
  }),
  JobCancelled: Schema.Struct({ reason: Schema.optionalKey(ManualReason) }),
  /**
   * A durable step of the current attempt finished (ADR 0043): its key, its code's fingerprint
   * and its result. A later attempt reaching the same key is given this result without running
   * the step again.
   */
  StepCompleted: Schema.Struct({
    attempt: PositiveInt,
    ...StepKeyFields,
    fingerprint: StepFingerprint,
    result: JsonValue,
  }),
  /**
   * A durable step of the current attempt threw (or its result could not be recorded): evidence
   * only. A later attempt runs the step again (ADR 0043).
   */
  StepFailed: Schema.Struct({
    attempt: PositiveInt,
    ...StepKeyFields,
    fingerprint: StepFingerprint,
    error: AttemptError,
  }),
  /**
   * The current attempt ended without finishing the job, to resume later (ADR 0043): a sleep
   * named `name` until `until`, or a wait for the signal `name` until `until` at the latest. It
   * holds no worker meanwhile, and does not count against maxAttempts.
   */
  JobSuspended: Schema.Struct({
    attempt: PositiveInt,
    kind: SuspensionKind,
    name: Name,
    until: Timestamp,
  }),
  /**
   * A signal was sent to the job (`POST /v1/jobs/:id/signal`). A suspended job waiting for this
   * name is re-queued by it; otherwise it is kept for the handler's `waitFor` to find.
   */
  SignalReceived: Schema.Struct({
    name: Name,
    payload: Schema.optionalKey(JsonValue),
  }),
  /** Manual retry out of dead_letter: who (the envelope's actor), why, and the new attempt cap. */
  JobRetried: Schema.Struct({ reason: ManualReason, maxAttempts: PositiveInt }),
  /**
   * A finished job leaves Redis (ADR 0034): why, and the rule applied — it had ended at least
   * `olderThanMs` before `at`. The job's status stays what it was; nothing follows this event,
   * and the job's head and index are deleted once it is archived.
   */
  JobEvicted: Schema.Struct({ reason: EvictionReason, olderThanMs: NonNegativeInt }),
  /**
   * One of the jobs this job depends on ended (ADR 0042): which, and how. Recorded on a waiting
   * job (or on one dead-lettered by policy, see JobFailedByDependency) once per end: the machine
   * refuses a second record of the same end, so a redelivered end appends nothing.
   */
  DependencyEnded: Schema.Struct({ dependency: JobId, status: DependencyEndStatus }),
  /**
   * The job's dependencies no longer hold it back (every one ended as its policy asks, or one
   * under `continue` failed): it is queued (or pending until its runAt). Appended with the
   * DependencyEnded that settles it, so no job rests waiting with nothing left to wait for.
   * `dependencies`: how many the job had, and of those, how many had `ended` then (restated;
   * the machine checks both).
   */
  JobReleased: Schema.Struct({ dependencies: PositiveInt, ended: NonNegativeInt }),
  /**
   * A dependency under the `fail` policy failed: the job is dead-lettered by policy, naming it.
   * If that dependency is later retried and completes, the job is released after all.
   */
  JobFailedByDependency: Schema.Struct({ dependency: JobId, status: DependencyFailureStatus }),
} as const;

export type EventType = keyof typeof EventData;
export const EVENT_TYPES = Object.keys(EventData) as ReadonlyArray<EventType>;

/** Version of each event's data shape; bump it (and add an upcaster) when a shape changes. */
export const EVENT_SCHEMA_VERSION = 1;

type DataOf<T extends EventType> = (typeof EventData)[T]["Type"];

/** A job event without its envelope: a fact the machine can fold. */
export type JobEvent = {
  [T in EventType]: {
    readonly type: T;
    readonly at: Timestamp;
    readonly actor: Actor;
    readonly data: DataOf<T>;
  };
}[EventType];

export type JobEventOf<T extends EventType> = Extract<JobEvent, { type: T }>;

export const isEventType = (value: unknown): value is EventType =>
  typeof value === "string" && Object.hasOwn(EventData, value);

/** Schema of a bare `JobEvent`, as a union tagged by `type`. */
export const JobEventSchema = Schema.Union(
  EVENT_TYPES.map((type) =>
    Schema.Struct({ type: Schema.Literal(type), at: Timestamp, actor: Actor, data: EventData[type] }),
  ),
);
