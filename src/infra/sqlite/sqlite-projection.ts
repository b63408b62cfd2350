/**
 * The read models on SQLite: the ProjectionStore port (queries for the API, `applyBatch` for the
 * projector) over one connection that owns the file (ADR 0009). Whoever opens it closes it.
 */
import type { Envelope } from "../../domain/index.ts";
import type {
  Checkpoint,
  JobFilter,
  JobPage,
  JobView,
  ProjectedMetrics,
  ProjectionBatch,
  ProjectionStore,
  RowDifference,
} from "../../engine/read/index.ts";
import { type OpenOptions, SqliteDatabase } from "./database.ts";
import { jobById, jobEvents, jobsByIds, listJobs, queueNames } from "./job-queries.ts";
import { projectedMetrics } from "./metrics-query.ts";
import { differencesBetween } from "./projection-diff.ts";
import { EVENT_COLUMNS, eventRow, JOB_COLUMNS, jobRow } from "./rows.ts";
import { migrate } from "./schema.ts";

export interface SqliteProjectionOptions extends OpenOptions {
  /**
   * Called inside each batch's transaction after its rows are written and before COMMIT. For
   * fault tests only (a crash at the worst moment); production code leaves it unset.
   */
  readonly beforeCommit?: (batch: ProjectionBatch) => void;
}

const placeholders = (columns: string): string =>
  columns
    .split(",")
    .map(() => "?")
    .join(", ");

const UPSERT_JOB = `INSERT OR REPLACE INTO jobs (${JOB_COLUMNS}) VALUES (${placeholders(JOB_COLUMNS)})`;
// A plain INSERT: an event projected twice is a bug, and the primary key makes it fail loudly.
const INSERT_EVENT = `INSERT INTO job_events (${EVENT_COLUMNS}) VALUES (${placeholders(EVENT_COLUMNS)})`;
const INSERT_DURATION =
  "INSERT INTO attempt_durations (job_id, attempt, type, duration_ms, completed_at) VALUES (?, ?, ?, ?, ?)";
const ADD_THROUGHPUT =
  "INSERT INTO throughput (minute, completed, failed_attempts, dead_lettered, cancelled) VALUES (?, ?, ?, ?, ?) " +
  "ON CONFLICT (minute) DO UPDATE SET completed = completed + excluded.completed, " +
  "failed_attempts = failed_attempts + excluded.failed_attempts, " +
  "dead_lettered = dead_lettered + excluded.dead_lettered, cancelled = cancelled + excluded.cancelled";
const SAVE_CHECKPOINT = "INSERT OR REPLACE INTO checkpoints (shard, entry_id, hash) VALUES (?, ?, ?)";

export class SqliteProjection implements ProjectionStore {
  private constructor(
    private readonly db: SqliteDatabase,
    private readonly options: SqliteProjectionOptions,
  ) {}

  /** Open (creating and migrating) the projection at `path`; ProjectionBusy if another process owns it. */
  static open(path: string, options: SqliteProjectionOptions = {}): SqliteProjection {
    const db = SqliteDatabase.open(path, options);
    try {
      migrate(db);
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteProjection(db, options);
  }

  get path(): string {
    return this.db.path;
  }

  checkpoints(): ReadonlyArray<Checkpoint> {
    return this.db.all<Checkpoint>("SELECT shard, entry_id AS entryId, hash FROM checkpoints ORDER BY shard");
  }

  job(id: string): JobView | null {
    return jobById(this.db, id);
  }

  listJobs(filter: JobFilter): JobPage {
    return listJobs(this.db, filter);
  }

  jobEvents(id: string): ReadonlyArray<Envelope> {
    return jobEvents(this.db, id);
  }

  metrics(options: { readonly nowMs: number; readonly minutes: number }): ProjectedMetrics {
    return projectedMetrics(this.db, options);
  }

  queueNames(): ReadonlyArray<string> {
    return queueNames(this.db);
  }

  viewsOf(ids: ReadonlyArray<string>): ReadonlyMap<string, JobView> {
    return jobsByIds(this.db, ids);
  }

  applyBatch(batch: ProjectionBatch): void {
    const db = this.db;
    db.transaction(() => {
      for (const view of batch.views) db.run(UPSERT_JOB, jobRow(view));
      for (const entry of batch.entries) db.run(INSERT_EVENT, eventRow(entry));
      for (const d of batch.durations)
        db.run(INSERT_DURATION, [d.jobId, d.attempt, d.type, d.durationMs, d.completedAt]);
      for (const t of batch.throughput)
        db.run(ADD_THROUGHPUT, [t.minute, t.completed, t.failedAttempts, t.deadLettered, t.cancelled]);
      for (const c of batch.checkpoints) db.run(SAVE_CHECKPOINT, [c.shard, c.entryId, c.hash]);
      this.options.beforeCommit?.(batch);
    });
  }

  async differencesFrom(otherPath: string, limit?: number): Promise<ReadonlyArray<RowDifference>> {
    const other = SqliteDatabase.open(otherPath);
    try {
      return await differencesBetween(this.db, other, limit);
    } finally {
      other.close();
    }
  }

  /** Run raw SQL on the live connection (tests plant differences with it). */
  unsafeExec(sql: string): void {
    this.db.exec(sql);
  }

  close(): void {
    this.db.close();
  }
}
