/**
 * Job views and envelopes to and from table rows. Rows read back are our own writes, so they
 * are trusted and cast rather than decoded again; JSON members are stored as JSON text.
 */
import type { Envelope } from "../../domain/index.ts";
import type { JobView, LogEntry } from "../../engine/read/index.ts";

const json = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));
const parsed = <A>(text: unknown): A | null => (text === null ? null : (JSON.parse(text as string) as A));

export const JOB_COLUMNS =
  "id, status, type, queue, priority, attempts, max_attempts, created_at, queued_at, started_at, ended_at, " +
  "run_at, progress, result, error, cancel_reason, idempotency_key, version, last_hash, updated_at, evicted_at, meta, " +
  "concurrency_key, concurrency_limit, steps, suspensions, suspension, dependencies, retain_ms";

export const jobRow = (view: JobView): Array<string | number | null> => [
  view.id,
  view.status,
  view.type,
  view.queue,
  view.priority,
  view.attempts,
  view.maxAttempts,
  view.createdAt,
  view.queuedAt,
  view.startedAt,
  view.endedAt,
  view.runAt,
  json(view.progress),
  json(view.result),
  json(view.error),
  view.cancelReason,
  view.idempotencyKey,
  view.version,
  view.lastHash,
  view.updatedAt,
  view.evictedAt,
  json(view.meta),
  view.concurrencyKey,
  view.concurrencyLimit,
  view.steps,
  view.suspensions,
  json(view.suspension),
  view.dependencies.length === 0 ? null : JSON.stringify(view.dependencies),
  view.retainMs,
];

export interface JobRow {
  readonly id: string;
  readonly status: string;
  readonly type: string;
  readonly queue: string;
  readonly priority: string;
  readonly attempts: number;
  readonly max_attempts: number;
  readonly created_at: string;
  readonly queued_at: string | null;
  readonly started_at: string | null;
  readonly ended_at: string | null;
  readonly run_at: string | null;
  readonly progress: string | null;
  readonly result: string | null;
  readonly error: string | null;
  readonly cancel_reason: string | null;
  readonly idempotency_key: string | null;
  readonly version: number;
  readonly last_hash: string;
  readonly updated_at: string;
  readonly evicted_at: string | null;
  readonly meta: string | null;
  readonly concurrency_key: string | null;
  readonly concurrency_limit: number | null;
  readonly steps: number;
  readonly suspensions: number;
  readonly suspension: string | null;
  readonly dependencies: string | null;
  readonly retain_ms: number | null;
}

export const viewOfRow = (row: JobRow): JobView => ({
  id: row.id,
  status: row.status as JobView["status"],
  type: row.type,
  queue: row.queue,
  priority: row.priority as JobView["priority"],
  attempts: row.attempts,
  maxAttempts: row.max_attempts,
  createdAt: row.created_at,
  queuedAt: row.queued_at,
  startedAt: row.started_at,
  endedAt: row.ended_at,
  evictedAt: row.evicted_at,
  retainMs: row.retain_ms,
  runAt: row.run_at,
  progress: parsed(row.progress),
  result: parsed(row.result),
  error: parsed(row.error),
  cancelReason: row.cancel_reason,
  idempotencyKey: row.idempotency_key,
  meta: parsed(row.meta),
  concurrencyKey: row.concurrency_key,
  concurrencyLimit: row.concurrency_limit,
  steps: row.steps,
  suspensions: row.suspensions,
  suspension: parsed(row.suspension),
  dependencies: parsed<JobView["dependencies"]>(row.dependencies) ?? [],
  version: row.version,
  lastHash: row.last_hash,
  updatedAt: row.updated_at,
});

export const EVENT_COLUMNS =
  "job_id, seq, type, at, actor, data, schema_version, machine_version, prev_hash, hash, shard, entry_id";

export const eventRow = ({ shard, entryId, envelope }: LogEntry): Array<string | number> => [
  envelope.jobId,
  envelope.seq,
  envelope.type,
  envelope.at,
  JSON.stringify(envelope.actor),
  JSON.stringify(envelope.data),
  envelope.schemaVersion,
  envelope.machineVersion,
  envelope.prevHash,
  envelope.hash,
  shard,
  entryId,
];

export interface EventRow {
  readonly job_id: string;
  readonly seq: number;
  readonly type: string;
  readonly at: string;
  readonly actor: string;
  readonly data: string;
  readonly schema_version: number;
  readonly machine_version: number;
  readonly prev_hash: string;
  readonly hash: string;
}

/** The envelope exactly as it was hashed, plus its hash (same members, so the same canonical bytes). */
export const envelopeOfRow = (row: EventRow): Envelope =>
  ({
    jobId: row.job_id,
    seq: row.seq,
    type: row.type,
    at: row.at,
    actor: JSON.parse(row.actor),
    data: JSON.parse(row.data),
    schemaVersion: row.schema_version,
    machineVersion: row.machine_version,
    prevHash: row.prev_hash,
    hash: row.hash,
  }) as Envelope;
