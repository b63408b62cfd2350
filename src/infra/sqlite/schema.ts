/**
 * The read models' tables, versioned with `PRAGMA user_version`: each migration runs once, in
 * order, in one transaction with the version bump. Add a migration; never edit a shipped one
 * (a changed projection needs a rebuild, which replays the log into the new shape).
 */
import type { SqliteDatabase } from "./database.ts";

const MIGRATIONS: ReadonlyArray<string> = [
  `
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    type TEXT NOT NULL,
    queue TEXT NOT NULL,
    priority TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    queued_at TEXT,
    started_at TEXT,
    ended_at TEXT,
    run_at TEXT,
    progress TEXT,
    result TEXT,
    error TEXT,
    cancel_reason TEXT,
    idempotency_key TEXT,
    version INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) WITHOUT ROWID;
  -- listJobs: one filter, newest first (job ids are UUIDv7, so id order is creation order).
  CREATE INDEX jobs_by_status ON jobs (status, id);
  CREATE INDEX jobs_by_type ON jobs (type, id);
  CREATE INDEX jobs_by_queue ON jobs (queue, id);

  CREATE TABLE job_events (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    data TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    machine_version INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    shard INTEGER NOT NULL,
    entry_id TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
  ) WITHOUT ROWID;

  -- Successful attempts (AttemptStarted -> JobCompleted), for average and p95 by type.
  CREATE TABLE attempt_durations (
    job_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    type TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    completed_at TEXT NOT NULL,
    PRIMARY KEY (job_id, attempt)
  ) WITHOUT ROWID;
  CREATE INDEX attempt_durations_by_type ON attempt_durations (type, duration_ms);

  -- Counted per UTC minute of each event's own time, so a rebuild gives the same rows.
  CREATE TABLE throughput (
    minute TEXT PRIMARY KEY,
    completed INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL,
    dead_lettered INTEGER NOT NULL,
    cancelled INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE checkpoints (
    shard INTEGER PRIMARY KEY,
    entry_id TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  `,
  // ADR 0034: when a job was recorded as leaving Redis (JobEvicted).
  `
  ALTER TABLE jobs ADD COLUMN evicted_at TEXT;
  `,
  // Issue 14: a job's meta (JSON text), and the indices of the list's searches. The meta search
  // has none: its keys are the users' own, so it filters what the other conditions select.
  `
  ALTER TABLE jobs ADD COLUMN meta TEXT;
  CREATE INDEX jobs_by_created_at ON jobs (created_at);
  CREATE INDEX jobs_by_ended_at ON jobs (ended_at);
  CREATE INDEX jobs_by_error_code ON jobs (json_extract(error, '$.code'), id) WHERE error IS NOT NULL;
  `,
  // Issue 15 (ADR 0039): a job's concurrency key and its limit, shown in the job view.
  `
  ALTER TABLE jobs ADD COLUMN concurrency_key TEXT;
  ALTER TABLE jobs ADD COLUMN concurrency_limit INTEGER;
  `,
  // Issue 18 (ADR 0043): durable steps recorded, suspensions, and what a suspended job waits for
  // (JSON: kind, name, until).
  `
  ALTER TABLE jobs ADD COLUMN steps INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE jobs ADD COLUMN suspensions INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE jobs ADD COLUMN suspension TEXT;
  `,
  // Issue 18 (ADR 0042): a job's dependencies and how each ended (JSON text; null when none).
  `
  ALTER TABLE jobs ADD COLUMN dependencies TEXT;
  `,
  // ADR 0034: a job's own retention (its spec's retainMs), shown in the job view. Filled in for
  // the jobs already there from their JobSubmitted, so the table equals a rebuild at once.
  `
  ALTER TABLE jobs ADD COLUMN retain_ms INTEGER;
  UPDATE jobs SET retain_ms = (
    SELECT json_extract(data, '$.spec.retainMs') FROM job_events
    WHERE job_events.job_id = jobs.id AND job_events.type = 'JobSubmitted'
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Every table with its primary key columns, for row-by-row comparison. */
export const TABLES: ReadonlyArray<{ readonly name: string; readonly key: ReadonlyArray<string> }> = [
  { name: "jobs", key: ["id"] },
  { name: "job_events", key: ["job_id", "seq"] },
  { name: "attempt_durations", key: ["job_id", "attempt"] },
  { name: "throughput", key: ["minute"] },
  { name: "checkpoints", key: ["shard"] },
];

/** Brings the file's schema to this code's version (`upTo`: an earlier one, for tests of a migration). */
export const migrate = (db: SqliteDatabase, upTo = SCHEMA_VERSION): void => {
  const current = Number(db.get<{ user_version: number }>("PRAGMA user_version")?.user_version ?? 0);
  if (current > SCHEMA_VERSION)
    throw new Error(
      `${db.path} has schema version ${current}, newer than this code's ${SCHEMA_VERSION}; rebuild it or upgrade Docket`,
    );
  for (let version = current; version < upTo; version++)
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      db.exec(`PRAGMA user_version = ${version + 1}`);
    });
};
