/**
 * The job routes' answers (Effect Schema): a job's view, pages of them, its events, the outcome
 * of a bulk submit. These are the source of the response types: the typed client and the CLI
 * take their types from here, the API's integration tests decode every answer against them, and
 * src/api/contract-drift.ts fails the typecheck when the engine's read-model types stop fitting.
 */
import * as Schema from "effect/Schema";
import {
  AttemptError,
  DependencyEndStatus,
  EnvelopeSchema,
  FailurePolicy,
  JobId,
  JobMeta,
  Name,
  Priority,
  Progress,
  Timestamp,
} from "../domain/index.ts";
import { ErrorDetail } from "./errors.ts";
import { JobStatus } from "./requests.ts";

/** What clients see of a job; the same shape fresh (`GET /v1/jobs/:id`) and from the projection. */
export const JobView = Schema.Struct({
  id: JobId,
  status: JobStatus,
  type: Name,
  queue: Name,
  priority: Priority,
  /** Attempts started so far. */
  attempts: Schema.Int,
  maxAttempts: Schema.Int,
  createdAt: Timestamp,
  /** The last time the job became queued (null while it waits for its first run time). */
  queuedAt: Schema.NullOr(Timestamp),
  /** The start of the latest attempt. */
  startedAt: Schema.NullOr(Timestamp),
  /** When it reached a terminal state (cleared by a manual retry). */
  endedAt: Schema.NullOr(Timestamp),
  /**
   * When the job was recorded as leaving Redis (its retention ran out, or an operator purged it):
   * its history is then read from the signed archive. Null while it is in Redis.
   */
  evictedAt: Schema.NullOr(Timestamp),
  /**
   * How long the job stays in Redis once it has ended (ms), when it was submitted with its own
   * `retainMs`; null: the deployment's retention for its end state (DOCKET_RETAIN_*) applies.
   */
  retainMs: Schema.NullOr(Schema.Int),
  /** When a pending job or a failed job's retry is due. */
  runAt: Schema.NullOr(Timestamp),
  progress: Schema.NullOr(Progress),
  result: Schema.NullOr(Schema.Json),
  /** The latest attempt's error (kept after a later success, for the record). */
  error: Schema.NullOr(AttemptError),
  cancelReason: Schema.NullOr(Schema.String),
  idempotencyKey: Schema.NullOr(Schema.String),
  /** Free labels: the submitted `meta`, or what the handler last set; null when there are none. */
  meta: Schema.NullOr(JobMeta),
  /**
   * Jobs with the same key run at most `concurrencyLimit` at once across all workers (ADR 0039);
   * both null when the job has no key.
   */
  concurrencyKey: Schema.NullOr(Schema.String),
  concurrencyLimit: Schema.NullOr(Schema.Int),
  /** Durable steps recorded (`ctx.step` results), across attempts (ADR 0043). */
  steps: Schema.Int,
  /**
   * Attempts that ended suspended (`ctx.sleep`, `ctx.waitFor`); they do not count against
   * maxAttempts: the attempts used are `attempts − suspensions`.
   */
  suspensions: Schema.Int,
  /** What a suspended job waits for (a sleep, or a signal by name) and until when at the latest. */
  suspension: Schema.NullOr(
    Schema.Struct({ kind: Schema.Literals(["sleep", "signal"]), name: Schema.String, until: Timestamp }),
  ),
  /**
   * The jobs this one depends on (ADR 0042), in the order named, each with its failure policy,
   * whether it was submitted as this job's child in a flow, and its end as this job recorded it
   * (null until then). Empty when it has none.
   */
  dependencies: Schema.Array(
    Schema.Struct({
      jobId: JobId,
      onFailure: FailurePolicy,
      child: Schema.Boolean,
      ended: Schema.NullOr(DependencyEndStatus),
    }),
  ),
  /**
   * The jobs that depend on this one (that named it in `dependsOn`, or are its flow parent), read
   * from Redis: in `GET /v1/jobs/:id` only, and only when there are some.
   */
  dependents: Schema.optionalKey(Schema.Array(JobId)),
  /** The seq and hash of the job's last event: where its chain ends. */
  version: Schema.Int,
  lastHash: Schema.String,
  updatedAt: Timestamp,
}).annotate({ identifier: "JobView" });
export type JobView = typeof JobView.Type;

/** `GET /v1/jobs`: newest first; `nextCursor` is present when more jobs match. */
export const JobPage = Schema.Struct({
  jobs: Schema.Array(JobView),
  nextCursor: Schema.optionalKey(Schema.String),
}).annotate({ identifier: "JobPage" });
export type JobPage = typeof JobPage.Type;

/** `GET /v1/dead-letters`: dead-lettered jobs, newest first. */
export const DeadLetters = Schema.Struct({ jobs: Schema.Array(JobView) });
export type DeadLetters = typeof DeadLetters.Type;

/** One stored event exactly as hashed, with its hash. */
export const Envelope = EnvelopeSchema.annotate({ identifier: "Envelope" });
export type Envelope = typeof Envelope.Type;

/** `GET /v1/jobs/:id/events`: in seq order. */
export const JobEvents = Schema.Struct({ events: Schema.Array(Envelope) });
export type JobEvents = typeof JobEvents.Type;

/** One item of a bulk submit's answer: the job (created, or an idempotent repeat) or its error. */
export const BulkItem = Schema.Union([
  Schema.Struct({ index: Schema.Int, id: JobId, status: JobStatus, created: Schema.Boolean }),
  Schema.Struct({ index: Schema.Int, error: ErrorDetail }),
]);
export type BulkItem = typeof BulkItem.Type;

/** `POST /v1/jobs/bulk`: one outcome per submitted index. */
export const BulkSubmitted = Schema.Struct({ jobs: Schema.Array(BulkItem) });
export type BulkSubmitted = typeof BulkSubmitted.Type;

/** `POST /v1/jobs/purge`: how many jobs were recorded as purged (they leave Redis once archived). */
export const Purged = Schema.Struct({ purged: Schema.Int }).annotate({ identifier: "Purged" });
export type Purged = typeof Purged.Type;

/** `POST /v1/dead-letters/retry`: how many dead letters were requeued. */
export const RetriedDeadLetters = Schema.Struct({ retried: Schema.Int });
export type RetriedDeadLetters = typeof RetriedDeadLetters.Type;
