/**
 * The read side's ports: the shard logs the projector tails (implemented on Redis) and the read
 * models it writes and the API queries (implemented on SQLite). Projections lag the log by
 * design; a single job's fresh state comes from its own history (JobService.view).
 */
import { type Actor, type Envelope, type JobStatus, sha256Hex } from "../domain/index.ts";
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

const idParts = (id: string): [number, number] => {
  const [ms, seq] = id.split("-");
  return [Number(ms), Number(seq ?? 0)];
};

/** Order of two stream entry ids ("ms-seq"). */
export const compareEntryIds = (a: string, b: string): number => {
  const [am, as] = idParts(a);
  const [bm, bs] = idParts(b);
  return am !== bm ? am - bm : as - bs;
};

/** The time (epoch ms) a stream entry id was appended at. */
export const entryIdMs = (id: string): number => idParts(id)[0];

export const isEvent = (record: LogRecord): record is LogEntry => "envelope" in record;

/**
 * The digest of a shard-log entry as stored: SHA-256 over the three fields a reader decodes
 * (`jobId`, `seq`, `env`, null when absent). The projector stores it as the checkpoint hash of a
 * quarantined entry, and the auditor compares it with the quarantine record.
 */
export const entryDigest = (fields: {
  readonly jobId: string | null;
  readonly seq: string | null;
  readonly env: string | null;
}): string => sha256Hex(JSON.stringify([fields.jobId, fields.seq, fields.env]));

/** What a checkpoint on this record stores as its hash: the event's hash, or the entry's digest. */
export const recordHash = (record: LogRecord): string =>
  isEvent(record) ? record.envelope.hash : record.digest;

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
