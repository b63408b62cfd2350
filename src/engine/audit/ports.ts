/**
 * What the auditor reads from the event store, as raw as it is stored.
 *
 * Audit tools must survive a tampered store, so this port hands back the stored text (the
 * envelope JSON, the head's fields) and lets the audit code decode and judge it; a malformed
 * entry is a finding, never a crash. Implemented on Redis by src/infra/redis/redis-audit-source.ts.
 */
import type { QuarantineRecord } from "../read/index.ts";

/**
 * One entry of a job's own history. Each event is stored once, in its shard log; a job's
 * history is the index of its log entry ids (ADR 0027). This is one element of that index and
 * the log entry it names, field by field as stored.
 */
export interface RawJobEntry {
  /** The shard-log entry id the job's history names at this position. */
  readonly entryId: string;
  /**
   * False when neither the shard log nor the archive holds that entry (then every field below
   * is null): it was deleted. An entry trimmed from Redis is read from the archive (ADR 0034).
   */
  readonly inLog: boolean;
  /** Which tier the entry was read from (null when neither holds it). */
  readonly tier: "log" | "archive" | null;
  /** The log entry's `jobId`, `seq`, `type` and `env` (the envelope text) fields. */
  readonly jobId: string | null;
  readonly seq: string | null;
  readonly type: string | null;
  readonly env: string | null;
}

/** One entry of a shard log. */
export interface RawLogEntry {
  readonly shard: number;
  readonly entryId: string;
  readonly jobId: string | null;
  readonly seq: string | null;
  readonly type: string | null;
  readonly env: string | null;
}

/** A job's head as stored (every field a string, or null when missing). */
export interface RawHead {
  readonly version: string | null;
  readonly lastHash: string | null;
  readonly status: string | null;
  readonly attempt: string | null;
}

/** Where the delivery side knows a job from (DESIGN §7 invariant 9). */
export interface JobLocation {
  /** The head names a work entry that still exists in its work stream. */
  readonly inWorkStream: boolean;
  /** That work entry is delivered and unacknowledged in the consumer group. */
  readonly pendingInGroup: boolean;
  /** In the shard's delayed set (pending or failed jobs). */
  readonly delayed: boolean;
  /** In the shard's dead-letter index. */
  readonly deadLettered: boolean;
  /** In the shard's waiting index (jobs waiting for their dependencies, ADR 0042). */
  readonly waiting: boolean;
}

export interface AuditSource {
  readonly shards: number;
  /** The shard a job id belongs to. */
  shardOf(jobId: string): number;
  /** Every job id the shard has a head or a history for, sorted. */
  jobIds(shard: number): Promise<ReadonlyArray<string>>;
  /** A job's own history, oldest first ([] when there is none). */
  readJobHistory(jobId: string): Promise<ReadonlyArray<RawJobEntry>>;
  /** The last entry of a job's own history, or null. */
  lastJobEntry(jobId: string): Promise<RawJobEntry | null>;
  /** Entries of a shard log strictly after `afterId` ("0-0" = from the start), oldest first. */
  readShardLog(shard: number, afterId: string, count: number): Promise<ReadonlyArray<RawLogEntry>>;
  /** How many entries a shard log holds (what a whole scan of it reads). */
  logLength(shard: number): Promise<number>;
  readHead(jobId: string): Promise<RawHead | null>;
  locate(jobId: string): Promise<JobLocation>;
  /**
   * The operators' quarantine records of undecodable shard-log entries (ADR 0019), and the
   * stored ones that do not read as a record (reported, never honoured).
   */
  quarantine(): Promise<QuarantineSnapshot>;
}

export interface QuarantineSnapshot {
  readonly records: ReadonlyArray<QuarantineRecord>;
  readonly malformed: ReadonlyArray<{
    readonly shard: number;
    readonly entryId: string;
    readonly problem: string;
  }>;
}
