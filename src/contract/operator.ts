/**
 * The operator routes' answers (Effect Schema): metrics, workers, health, and the projection's
 * rebuild, check and quarantine. Sources of the response types, as jobs.ts and audit.ts.
 */
import * as Schema from "effect/Schema";
import { Actor, Timestamp } from "../domain/index.ts";
import { ErrorDetail } from "./errors.ts";
import { JobStatus } from "./requests.ts";

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));
const Ms = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0));

/** `GET /v1/metrics`: the projection's figures plus live queue depth, projector and SSE counters. */
export const Metrics = Schema.Struct({
  byStatus: Schema.Record(JobStatus, Count),
  byType: Schema.Array(Schema.Struct({ type: Schema.String, status: JobStatus, count: Count })),
  byQueue: Schema.Array(Schema.Struct({ queue: Schema.String, status: JobStatus, count: Count })),
  /** Duration of successful attempts (AttemptStarted → JobCompleted), by job type. */
  durations: Schema.Array(Schema.Struct({ type: Schema.String, count: Count, avgMs: Ms, p95Ms: Ms })),
  /** Jobs that ended per UTC minute, oldest first. */
  throughput: Schema.Array(
    Schema.Struct({
      minute: Timestamp,
      completed: Count,
      failedAttempts: Count,
      deadLettered: Count,
      cancelled: Count,
    }),
  ),
  queues: Schema.Array(Schema.Struct({ queue: Schema.String, waiting: Count, pending: Count })),
  /** Per shard (on a Redis Cluster, per master's share): entries over every queue, projector lag. */
  shards: Schema.Array(
    Schema.Struct({ shard: Count, waiting: Count, pending: Count, projectorBehindMs: Schema.NullOr(Ms) }),
  ),
  projector: Schema.Struct({
    state: Schema.String,
    halted: Schema.Boolean,
    halts: Count,
    invalidEntries: Count,
    quarantinedSkipped: Count,
    appliedEvents: Count,
  }),
  eventStreams: Schema.Struct({ clients: Count, dropped: Count, refused: Count }),
  generatedAt: Timestamp,
}).annotate({ identifier: "Metrics" });
export type Metrics = typeof Metrics.Type;

/** A live worker, as its last heartbeat described it. */
export const WorkerInfo = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  host: Schema.String,
  pid: Schema.Int,
  queues: Schema.Array(Schema.String),
  concurrency: Count,
  /** Handlers running now (never more than the concurrency). */
  inFlight: Count,
  /** idle: nothing running; busy: a handler running; stopping: finishing its jobs, taking none. */
  status: Schema.Literals(["idle", "busy", "stopping"]),
  /** Ids of the jobs it runs now (at most 50). */
  currentJobs: Schema.Array(Schema.String),
  completed: Count,
  failed: Count,
  startedAt: Timestamp,
  /** Its last heartbeat; uptime as of then is lastSeenAt − startedAt (both by its own clock). */
  lastSeenAt: Timestamp,
}).annotate({ identifier: "WorkerInfo" });
export type WorkerInfo = typeof WorkerInfo.Type;

/** `GET /v1/workers`. */
export const Workers = Schema.Struct({ workers: Schema.Array(WorkerInfo) });
export type Workers = typeof Workers.Type;

/** The projector's lag as health reports it. */
const ProjectionLag = Schema.Struct({
  state: Schema.String,
  shardsBehind: Count,
  /** Age of the oldest unapplied entry; null when unknown (Redis down). */
  lagMs: Schema.NullOr(Ms),
  lastError: Schema.NullOr(Schema.String),
});

/** While the projector is halted: the error that halted it (as an error body's fields) and since when. */
const HaltReason = Schema.Struct({ ...ErrorDetail.fields, since: Timestamp });

/**
 * The archiver's part of health (ADR 0028), when the process runs one: its state, each shard's
 * progress, and why archiving is paused while the archive refuses writes.
 */
const ArchiveHealth = Schema.Struct({
  state: Schema.Literals(["idle", "standby", "active", "paused", "stopped"]),
  sealed: Count,
  archivedEntries: Count,
  /** Entries trimmed from the shard logs once archived (ADR 0034), by this process's archiver. */
  trimmedEntries: Count,
  /** Jobs recorded as evicted (JobEvicted) by retention, and jobs that then left Redis. */
  evictionsRecorded: Count,
  evicted: Count,
  shards: Schema.Array(Schema.Struct({ shard: Count, segments: Count, lastEntryId: Schema.String })),
  paused: Schema.optionalKey(
    Schema.Struct({ code: Schema.String, message: Schema.String, since: Timestamp }),
  ),
  lastError: Schema.NullOr(Schema.String),
});

/**
 * `GET /health` 200: `ok`, or `degraded` with the `reason` while the projection is halted or
 * archiving is paused (`archive_paused`).
 */
export const Health = Schema.Struct({
  status: Schema.Literals(["ok", "degraded"]),
  reason: Schema.optionalKey(HaltReason),
  redis: Schema.Struct({
    latencyMs: Ms,
    /** On a Redis Cluster: each shard's round trip to the node serving it (ADR 0047). */
    shards: Schema.optionalKey(Schema.Array(Schema.Struct({ shard: Count, latencyMs: Ms }))),
  }),
  queueDepth: Count,
  pending: Count,
  workers: Count,
  projection: ProjectionLag,
  archive: Schema.optionalKey(ArchiveHealth),
}).annotate({ identifier: "Health" });
export type Health = typeof Health.Type;

/** `GET /health` 503: Redis is unreachable (`queue_unreachable`). */
export const HealthUnavailable = Schema.Struct({
  status: Schema.Literal("unavailable"),
  error: ErrorDetail,
  projection: ProjectionLag,
  reason: Schema.optionalKey(HaltReason),
  archive: Schema.optionalKey(ArchiveHealth),
}).annotate({ identifier: "HealthUnavailable" });
export type HealthUnavailable = typeof HealthUnavailable.Type;

/** Where a projection stands on one shard: the last entry applied and its hash. */
const Checkpoint = Schema.Struct({ shard: Schema.Int, entryId: Schema.String, hash: Schema.String });

/** `POST /v1/projections/rebuild`. */
export const RebuildReport = Schema.Struct({
  events: Count,
  ms: Ms,
  checkpoints: Schema.Array(Checkpoint),
}).annotate({ identifier: "RebuildReport" });
export type RebuildReport = typeof RebuildReport.Type;

const Row = Schema.Record(Schema.String, Schema.Unknown);

/** One row that differs between the live projection and a rebuild (absent on one side: null). */
export const RowDifference = Schema.Struct({
  table: Schema.String,
  key: Row,
  live: Schema.NullOr(Row),
  rebuilt: Schema.NullOr(Row),
});
export type RowDifference = typeof RowDifference.Type;

/** `POST /v1/projections/check`: equal row for row, or the differences. */
export const CheckReport = Schema.Struct({
  equal: Schema.Boolean,
  differences: Schema.Array(RowDifference),
  checkpoints: Schema.Array(Checkpoint),
  ms: Ms,
}).annotate({ identifier: "CheckReport" });
export type CheckReport = typeof CheckReport.Type;

/** `POST /v1/projections/quarantine` 201: the record of a skipped shard-log entry (ADR 0019). */
export const QuarantineRecord = Schema.Struct({
  shard: Schema.Int,
  entryId: Schema.String,
  jobId: Schema.NullOr(Schema.String),
  digest: Schema.String,
  problem: Schema.String,
  reason: Schema.String,
  actor: Actor,
  at: Timestamp,
}).annotate({ identifier: "QuarantineRecord" });
export type QuarantineRecord = typeof QuarantineRecord.Type;

/** `GET /openapi.json`: an OpenAPI 3.1 document (its parts are checked by the OpenAPI unit test). */
export const OpenApiDocument = Schema.Struct({
  openapi: Schema.String.check(Schema.isPattern(/^3\.1\.\d+$/)),
  info: Schema.Struct({ title: Schema.String, version: Schema.String, description: Schema.String }),
  paths: Schema.Record(Schema.String, Schema.Record(Schema.String, Schema.Unknown)),
  components: Schema.Struct({
    schemas: Schema.Record(Schema.String, Schema.Unknown),
    securitySchemes: Schema.Record(Schema.String, Schema.Unknown),
  }),
  security: Schema.Array(Schema.Record(Schema.String, Schema.Array(Schema.String))),
});
export type OpenApiDocument = typeof OpenApiDocument.Type;
