/**
 * The read side's ports: the shard logs the projector tails (implemented on Redis) and the read
 * models it writes and the API queries (implemented on SQLite). Projections lag the log by
 * design; a single job's fresh state comes from its own history (JobService.view).
 */
import type { Envelope, JobStatus } from "../domain/index.ts";
import type { JobView } from "./job-view.ts";

/** One entry of a shard log: where it sits and the event it carries. */
export interface LogEntry {
  readonly shard: number;
  /** The Redis stream entry id, e.g. "1732312345678-0". */
  readonly entryId: string;
  readonly envelope: Envelope;
}

export interface EventLog {
  readonly shards: number;
  /** Entries of one shard's log strictly after `afterId` ("0-0" = from the start), oldest first. */
  read(shard: number, afterId: string, count: number): Promise<ReadonlyArray<LogEntry>>;
  /** The entry with exactly this id, or null when the log holds no such entry. */
  entryAt(shard: number, entryId: string): Promise<LogEntry | null>;
  /**
   * Goes up each time a connection to the log is (re)established. The log may have changed
   * while it was away (a Redis restart without persistence loses it), so a reader holding
   * positions in it checks them again.
   */
  connections(): number;
  /**
   * Wait up to `blockMs` for entries after the given position of each shard (one blocking read
   * over all shards); returns at once when some are there. With them, `at`: the entry at each
   * given position (null when the log holds none), read after the entries in the same round
   * trip, so a position still there vouches that the entries continue it.
   */
  tail(
    after: ReadonlyArray<{ readonly shard: number; readonly entryId: string }>,
    count: number,
    blockMs: number,
  ): Promise<{ readonly entries: ReadonlyArray<LogEntry>; readonly at: ReadonlyArray<LogEntry | null> }>;
  /** The id of each shard log's last entry ("0-0" when empty), for lag. */
  lastIds(): Promise<ReadonlyArray<{ readonly shard: number; readonly entryId: string }>>;
}

/** How far a projection has read one shard log; stored with the rows it produced. */
export interface Checkpoint {
  readonly shard: number;
  readonly entryId: string;
  /** The hash of the event at `entryId`. */
  readonly hash: string;
}

export interface JobFilter {
  readonly status?: JobStatus;
  readonly type?: string;
  readonly queue?: string;
  /** 1..500 */
  readonly limit: number;
  /** An opaque cursor from a previous page's `nextCursor`. */
  readonly cursor?: string;
}

export interface JobPage {
  /** Newest first (by job id, which is time-ordered). */
  readonly jobs: ReadonlyArray<JobView>;
  /** Present when more jobs match. */
  readonly nextCursor?: string;
}

export interface DurationStats {
  readonly count: number;
  readonly avgMs: number;
  readonly p95Ms: number;
}

export interface ProjectedMetrics {
  readonly byStatus: Readonly<Record<JobStatus, number>>;
  readonly byType: ReadonlyArray<{
    readonly type: string;
    readonly status: JobStatus;
    readonly count: number;
  }>;
  readonly byQueue: ReadonlyArray<{
    readonly queue: string;
    readonly status: JobStatus;
    readonly count: number;
  }>;
  /** Duration of successful attempts (AttemptStarted → JobCompleted), by job type. */
  readonly durations: ReadonlyArray<{ readonly type: string } & DurationStats>;
  /** Jobs that ended per minute (UTC minute, ISO), oldest first, for the last `minutes` minutes. */
  readonly throughput: ReadonlyArray<{
    readonly minute: string;
    readonly completed: number;
    readonly failedAttempts: number;
    readonly deadLettered: number;
    readonly cancelled: number;
  }>;
}

export interface ReadModels {
  /** Where the projection stands on each shard (absent shards: not started). */
  checkpoints(): ReadonlyArray<Checkpoint>;
  job(id: string): JobView | null;
  listJobs(filter: JobFilter): JobPage;
  /** A job's events as projected, in seq order. */
  jobEvents(id: string): ReadonlyArray<Envelope>;
  metrics(options: { readonly nowMs: number; readonly minutes: number }): ProjectedMetrics;
}
