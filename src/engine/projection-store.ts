/**
 * The write side of the read models: what the projector hands to storage after folding a batch,
 * and the store port it writes through (implemented on SQLite in src/infra/sqlite). The query
 * side is ReadModels (read-models.ts); one store serves both, from one connection (ADR 0009).
 */
import type { JobView } from "./job-view.ts";
import type { Checkpoint, LogEntry, LogRecord, ReadModels } from "./read-models.ts";

/** A successful attempt's duration (AttemptStarted → JobCompleted). */
export interface AttemptDuration {
  readonly jobId: string;
  readonly attempt: number;
  readonly type: string;
  readonly durationMs: number;
  readonly completedAt: string;
}

/** Counts to add to one UTC minute's throughput row (the minute of each event's own `at`). */
export interface ThroughputIncrement {
  /** e.g. "2026-01-01T10:42:00.000Z" */
  readonly minute: string;
  readonly completed: number;
  readonly failedAttempts: number;
  readonly deadLettered: number;
  readonly cancelled: number;
}

/** Everything one batch of log entries changes; written in one transaction. */
export interface ProjectionBatch {
  /** The new view of every job the batch touched (coalesced: one per job). */
  readonly views: ReadonlyArray<JobView>;
  /** Every event of the batch, in log order (without the skipped ones). */
  readonly entries: ReadonlyArray<LogEntry>;
  /** Entries skipped by quarantine (ADR 0019): they only move the checkpoint. */
  readonly skipped: ReadonlyArray<LogRecord>;
  readonly durations: ReadonlyArray<AttemptDuration>;
  readonly throughput: ReadonlyArray<ThroughputIncrement>;
  /** The last entry of each shard the batch read. */
  readonly checkpoints: ReadonlyArray<Checkpoint>;
}

/** One row that differs between two projections (absent on one side: null). */
export interface RowDifference {
  readonly table: string;
  /** The row's primary key, e.g. `{ id: "..." }` or `{ job_id: "...", seq: 3 }`. */
  readonly key: Readonly<Record<string, unknown>>;
  readonly live: Readonly<Record<string, unknown>> | null;
  readonly rebuilt: Readonly<Record<string, unknown>> | null;
}

export interface ProjectionStore extends ReadModels {
  /** The stored views of these jobs (absent: not projected yet). */
  viewsOf(ids: ReadonlyArray<string>): ReadonlyMap<string, JobView>;
  /** Write a batch's rows and its checkpoints atomically: all of it or nothing. */
  applyBatch(batch: ProjectionBatch): void;
  /**
   * Compare with another projection file (closed), table by table and row for row, yielding to
   * the event loop as it goes. Returns at most `limit` differences per table.
   */
  differencesFrom(otherPath: string, limit?: number): Promise<ReadonlyArray<RowDifference>>;
  close(): void;
}

/**
 * Where projections live: the live file and fresh scratch files beside it. Rebuild and check
 * take this, so the engine never names a path or a database library.
 */
export interface ProjectionFiles {
  /** The live file's path. */
  readonly livePath: string;
  /** Open (creating and migrating if needed) the live projection; fails if another process owns it. */
  openLive(): ProjectionStore;
  /** A new, empty projection in a scratch file next to the live one. */
  openScratch(): { readonly path: string; readonly store: ProjectionStore };
  /** Make a closed scratch file durable (scratch files skip syncing while written) before promoting it. */
  persist(scratchPath: string): Promise<void>;
  /** Atomically put a closed scratch file in the live file's place (the live store must be closed). */
  promote(scratchPath: string): void;
  /** Delete a closed scratch file. */
  discard(scratchPath: string): void;
}
