/**
 * The job view: what API clients see of a job (status, attempts, timestamps, progress, result,
 * error), derived from its events alone.
 *
 * One pure fold serves both the projector (which applies a batch's events to the stored row)
 * and the API's read-your-writes path (which folds a job's events straight from its stream),
 * so the two can never disagree. The status it derives must equal the machine's; a property
 * test folds random legal histories through both and compares.
 */
import type {
  AttemptError,
  DependencyEndStatus,
  FailurePolicy,
  Envelope,
  JobMeta,
  JobStatus,
  Json,
  Priority,
  Progress,
  SuspensionKind,
} from "../../domain/index.ts";

export interface JobView {
  readonly id: string;
  readonly status: JobStatus;
  readonly type: string;
  readonly queue: string;
  readonly priority: Priority;
  /**
   * Attempts started so far (the fencing epoch), those that ended suspended included; the
   * attempts used of maxAttempts are `attempts − suspensions` (ADR 0043).
   */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly createdAt: string;
  /** The last time the job became queued (null while it waits for its first run time). */
  readonly queuedAt: string | null;
  /** The start of the latest attempt. */
  readonly startedAt: string | null;
  /** When it reached a terminal state (cleared by a manual retry). */
  readonly endedAt: string | null;
  /**
   * When the job was recorded as leaving Redis (JobEvicted, ADR 0034): its history is then read
   * from the archive. Null while it is in Redis.
   */
  readonly evictedAt: string | null;
  /**
   * How long the job stays in Redis once it has ended (ms), when submitted with its own
   * `retainMs`; null: the deployment's DOCKET_RETAIN_* for its end state applies.
   */
  readonly retainMs: number | null;
  /** When a pending job or a failed job's retry is due. */
  readonly runAt: string | null;
  readonly progress: Progress | null;
  readonly result: Json | null;
  /** The latest attempt's error (kept after a later success, for the record). */
  readonly error: AttemptError | null;
  readonly cancelReason: string | null;
  readonly idempotencyKey: string | null;
  /** Free labels: the spec's `meta`, or what the handler last set (MetaUpdated); null if none. */
  readonly meta: JobMeta | null;
  /** The spec's concurrency key and limit (ADR 0039); null when it has none. */
  readonly concurrencyKey: string | null;
  readonly concurrencyLimit: number | null;
  /** Durable steps recorded (StepCompleted), across attempts (ADR 0043). */
  readonly steps: number;
  /** Attempts that ended suspended (a sleep or a wait for a signal). */
  readonly suspensions: number;
  /** What a suspended job waits for, and until when at the latest; null otherwise. */
  readonly suspension: {
    readonly kind: SuspensionKind;
    readonly name: string;
    readonly until: string;
  } | null;
  /** The jobs this one depends on (ADR 0042), in the order named; empty when none. */
  readonly dependencies: ReadonlyArray<DependencyView>;
  /** The seq and hash of the job's last event: where its chain ends. */
  readonly version: number;
  readonly lastHash: string;
  readonly updatedAt: string;
}

const isAfter = (a: string, b: string): boolean => Date.parse(a) > Date.parse(b);

/** One dependency of a job, as its view shows it: how it ended, as far as the job has recorded. */
export interface DependencyView {
  readonly jobId: string;
  readonly onFailure: FailurePolicy;
  /** Submitted as this job's child in a flow (cancelled with it). */
  readonly child: boolean;
  /** Its last recorded end; null while the job has recorded none. */
  readonly ended: DependencyEndStatus | null;
}

/**
 * Apply one event to a view. `view` is null exactly for a job's first event (JobSubmitted).
 * Events are trusted (already accepted by the store); an event that cannot start a view throws.
 */
export const applyToView = (view: JobView | null, envelope: Envelope): JobView => {
  const base = { version: envelope.seq, lastHash: envelope.hash, updatedAt: envelope.at };
  if (envelope.type === "JobSubmitted") {
    const { spec, runAt } = envelope.data;
    const delayed = runAt !== undefined && isAfter(runAt, envelope.at);
    const waits = spec.dependsOn !== undefined;
    return {
      id: envelope.jobId,
      status: waits ? "waiting" : delayed ? "pending" : "queued",
      type: spec.jobType,
      queue: spec.queue,
      priority: spec.priority,
      attempts: 0,
      maxAttempts: spec.maxAttempts,
      createdAt: envelope.at,
      queuedAt: delayed || waits ? null : envelope.at,
      startedAt: null,
      endedAt: null,
      evictedAt: null,
      retainMs: spec.retainMs ?? null,
      runAt: delayed ? runAt : null,
      progress: null,
      result: null,
      error: null,
      cancelReason: null,
      idempotencyKey: spec.idempotencyKey ?? null,
      meta: spec.meta ?? null,
      concurrencyKey: spec.concurrencyKey ?? null,
      concurrencyLimit: spec.concurrencyKey === undefined ? null : (spec.concurrencyLimit ?? 1),
      steps: 0,
      suspensions: 0,
      suspension: null,
      dependencies: (spec.dependsOn ?? []).map((d) => ({
        jobId: d.jobId,
        onFailure: d.onFailure,
        child: d.child === true,
        ended: null,
      })),
      ...base,
    };
  }
  if (view === null) throw new Error(`job ${envelope.jobId}: ${envelope.type} before JobSubmitted`);
  switch (envelope.type) {
    case "JobQueued":
      return { ...view, ...base, status: "queued", queuedAt: envelope.at, runAt: null, suspension: null };
    case "AttemptStarted":
      return {
        ...view,
        ...base,
        status: "processing",
        attempts: envelope.data.attempt,
        startedAt: envelope.at,
        progress: null,
      };
    case "ProgressReported":
      return { ...view, ...base, progress: envelope.data.progress };
    case "MetaUpdated":
      return { ...view, ...base, meta: envelope.data.meta };
    case "LogRecorded":
      return { ...view, ...base };
    case "JobCompleted":
      return { ...view, ...base, status: "completed", endedAt: envelope.at, result: envelope.data.result };
    case "AttemptFailed":
      // Without retryAt, the JobDeadLettered appended with it ends the job (ADR 0022).
      return {
        ...view,
        ...base,
        status: "failed",
        error: envelope.data.error,
        runAt: envelope.data.retryAt ?? null,
      };
    case "JobDeadLettered":
      return { ...view, ...base, status: "dead_letter", endedAt: envelope.at, runAt: null };
    case "JobCancelled":
      return {
        ...view,
        ...base,
        status: "cancelled",
        endedAt: envelope.at,
        runAt: null,
        cancelReason: envelope.data.reason ?? null,
        suspension: null,
      };
    case "JobRetried":
      return {
        ...view,
        ...base,
        status: "queued",
        maxAttempts: envelope.data.maxAttempts,
        queuedAt: envelope.at,
        endedAt: null,
        runAt: null,
      };
    case "JobEvicted":
      return { ...view, ...base, evictedAt: envelope.at };
    case "StepCompleted":
      return { ...view, ...base, steps: view.steps + 1 };
    case "StepFailed":
      return { ...view, ...base };
    case "JobSuspended": {
      const { kind, name, until } = envelope.data;
      return {
        ...view,
        ...base,
        status: "suspended",
        suspensions: view.suspensions + 1,
        suspension: { kind, name, until },
        runAt: until,
        progress: null,
      };
    }
    case "SignalReceived":
      // The awaited signal re-queues a suspended job; any other is kept for its handler.
      return view.status === "suspended" &&
        view.suspension?.kind === "signal" &&
        view.suspension.name === envelope.data.name
        ? { ...view, ...base, status: "queued", queuedAt: envelope.at, runAt: null, suspension: null }
        : { ...view, ...base };
    case "DependencyEnded": {
      const { dependency, status } = envelope.data;
      return {
        ...view,
        ...base,
        dependencies: view.dependencies.map((d) => (d.jobId === dependency ? { ...d, ended: status } : d)),
      };
    }
    case "JobReleased": {
      // Queued, or pending until its runAt (still in runAt when it lies ahead).
      const delayed = view.status === "waiting" && view.runAt !== null && isAfter(view.runAt, envelope.at);
      return delayed
        ? { ...view, ...base, status: "pending" }
        : { ...view, ...base, status: "queued", queuedAt: envelope.at, endedAt: null, runAt: null };
    }
    case "JobFailedByDependency":
      return { ...view, ...base, status: "dead_letter", endedAt: envelope.at, runAt: null };
  }
};

/** Fold a whole history (seq order) into its view; null for an empty history. */
export const viewOf = (events: Iterable<Envelope>): JobView | null => {
  let view: JobView | null = null;
  for (const envelope of events) view = applyToView(view, envelope);
  return view;
};
