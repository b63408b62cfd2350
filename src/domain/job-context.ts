/**
 * What the job machine carries besides its state (JobContext), the states themselves, and the
 * rules read off the context that the decider shares with the machine (attempts used, whether a
 * retry is allowed). Pure, like the machine (job-machine.ts).
 */
import { canonicalJson, sha256Hex } from "./canonical-json.ts";
import type { Dependency, DependencyEnds } from "./dependencies.ts";
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

/** What a guard or an assigner sees: the job's context and the event being folded. */
export interface MachineArgs {
  readonly context: JobContext;
  readonly event: JobEvent;
}

/** The event as its own type when it is of `type`: what each guard and assigner starts from. */
export const eventOfType = <T extends JobEvent["type"]>(
  event: JobEvent,
  type: T,
): JobEventOf<T> | undefined => (event.type === type ? (event as JobEventOf<T>) : undefined);
