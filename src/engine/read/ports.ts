/**
 * The read side's ports: the shard logs the projector tails and the quarantine records it honours
 * (implemented on Redis), the read models the API queries and the projection store the projector
 * writes through (implemented on SQLite; one store serves both, from one connection, ADR 0009),
 * and the projection files rebuild and check swap. Declarations only; the helpers on log entries
 * are in log-entries.ts. Projections lag the log by design; a single job's fresh state comes from
 * its own history (JobService.view).
 */
import type { Actor, Envelope, JobStatus } from "../../domain/index.ts";
import type { JobView } from "./job-view.ts";

/** One entry of a shard log: where it sits and the event it carries. */
export interface LogEntry {
  readonly shard: number;
  /** The Redis stream entry id, e.g. "1732312345678-0". */
  readonly entryId: string;
  readonly envelope: Envelope;
}

/**
 * A shard-log entry that does not decode into an event (written before the write side
 * validated, or by a tampering or buggy writer). The log hands it back instead of failing the
 * whole read, so the reader decides: halt on it, or skip it when it is quarantined.
 */
export interface InvalidLogEntry {
  readonly shard: number;
  readonly entryId: string;
  /** The entry's `jobId` field as stored (null when absent): which job it claims to be about. */
  readonly jobId: string | null;
  /** What is wrong with it. */
  readonly problem: string;
  /** `entryDigest` of the entry as stored: a quarantine applies to exactly this content. */
  readonly digest: string;
}

export type LogRecord = LogEntry | InvalidLogEntry;

/**
 * An operator's decision to skip one undecodable shard-log entry (ADR 0019): kept in Redis per
 * shard, never deleted by Docket, honoured by the projector, rebuilds and checks while the entry
 * still has `digest`, and listed by the auditor's verify.
 */
export interface QuarantineRecord {
  readonly shard: number;
  readonly entryId: string;
  readonly jobId: string | null;
  readonly digest: string;
  /** What the reader found wrong with the entry when it was quarantined. */
  readonly problem: string;
  /** Why the operator skipped it. */
  readonly reason: string;
  readonly actor: Actor;
  /** When it was quarantined (ISO). */
  readonly at: string;
}

export interface QuarantineList {
  /** Every quarantine record of every shard. */
  all(): Promise<ReadonlyArray<QuarantineRecord>>;
  /** Record it, unless that entry is already quarantined (then false; nothing is written). */
  add(record: QuarantineRecord): Promise<boolean>;
}

/**
 * The archive as readers read it back (ADR 0034): the sealed segments hold every shard-log entry
 * up to each shard's last checkpoint, as the log held it, verified against its signed checkpoint
 * when read. Readers of Redis turn to it for entries trimmed from the log. Implemented by the
 * archive room's ArchiveReader over the archive directory.
 */
export interface ArchivedLog {
  /** The archived entries with these ids (an id the archive does not hold is absent). */
  entries(shard: number, ids: ReadonlyArray<string>): Promise<ReadonlyMap<string, ArchivedLogEntry>>;
  /** Up to `count` entries strictly after `afterId` and not after `throughId`, in log order. */
  range(
    shard: number,
    afterId: string,
    throughId: string,
    count: number,
  ): Promise<ReadonlyArray<ArchivedLogEntry>>;
  /**
   * Every archived entry of one job, in log order: how a job that has left Redis (its head and
   * index evicted, ADR 0034) is read. `notBeforeMs`: no event of the job is older (its id's
   * time), so segments that end before it are not opened. `firstByMs`: its first event is no
   * later (its id's time too), so if no segment starting by then holds it, none after is opened.
   */
  jobEntries(
    shard: number,
    jobId: string,
    notBeforeMs?: number,
    firstByMs?: number,
  ): Promise<ReadonlyArray<ArchivedLogEntry>>;
  /**
   * The last entry id the archive holds for the shard ("0-0": none), as last listed: what a
   * reader compares with the archived-through id Redis records, so an archive that lost its
   * last segments (or is another deployment's) is refused rather than read as the whole history.
   */
  archivedThrough(shard: number): Promise<string>;
}

/** One archived shard-log entry: its id and fields, name and value alternating, as stored. */
export interface ArchivedLogEntry {
  readonly id: string;
  readonly fields: ReadonlyArray<string>;
}

export interface EventLog {
  readonly shards: number;
  /**
   * Entries of one shard's log strictly after `afterId` ("0-0" = from the start), oldest first;
   * an entry that does not decode is handed back as an InvalidLogEntry in its place.
   */
  read(shard: number, afterId: string, count: number): Promise<ReadonlyArray<LogRecord>>;
  /** The entry with exactly this id, or null when the log holds no such entry. */
  entryAt(shard: number, entryId: string): Promise<LogRecord | null>;
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
  ): Promise<{ readonly entries: ReadonlyArray<LogRecord>; readonly at: ReadonlyArray<LogRecord | null> }>;
  /** The id of each shard log's last entry ("0-0" when empty), for lag. */
  lastIds(): Promise<ReadonlyArray<{ readonly shard: number; readonly entryId: string }>>;
}

/** How far a projection has read one shard log; stored with the rows it produced. */
export interface Checkpoint {
  readonly shard: number;
  readonly entryId: string;
  /** The hash of the event at `entryId` (for a quarantined entry: its digest, `recordHash`). */
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
  /** Created in [createdFrom, createdTo): ISO timestamps as the views hold them. */
  readonly createdFrom?: string;
  readonly createdTo?: string;
  /** Ended in [endedFrom, endedTo). */
  readonly endedFrom?: string;
  readonly endedTo?: string;
  /** The latest attempt's error code. */
  readonly errorCode?: string;
  /** A substring of the latest attempt's error message (taken literally). */
  readonly errorText?: string;
  /** A top-level member of the meta (a META_KEY_PATTERN name), optionally with its value. */
  readonly metaKey?: string;
  readonly metaValue?: string;
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
  /** Every queue name the projection knows, sorted (cheap: health asks on every probe). */
  queueNames(): ReadonlyArray<string>;
}

// The write side of the read models: what the projector hands to storage after folding a batch,
// and the store port it writes through (the query side is ReadModels, above).

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
