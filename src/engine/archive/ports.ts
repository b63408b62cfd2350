/**
 * The archive room's ports (ADR 0028, 0029): the shard logs it reads raw (Redis), the archive it
 * writes sealed segments to (a directory; an object store could follow docs/archive-format.md),
 * the lease that keeps one archiver active (Redis), and the signature scheme (Ed25519 on
 * node:crypto; the private key stays in infra). Declarations only.
 */
import type { ArchivedEntry } from "../../domain/index.ts";

/** What waits in a shard's log after a position (ShardLogReader.pending). */
export interface PendingEntries {
  readonly oldestId: string | null;
  readonly atMost: number;
}

/** The shard logs as they are stored: entry ids and raw fields, nothing decoded. */
export interface ShardLogReader {
  readonly shards: number;
  /**
   * Up to `count` entries of one shard's log strictly after `afterId` ("0-0": from the start),
   * stopping early at the entry that brings their text to `maxChars` (that entry included, so
   * at least one is read; text: the fields' lengths in UTF-16 code units, `entryChars`). The
   * bound keeps a segment of large entries (512 KB payloads) within what memory and one string
   * can hold.
   */
  readAfter(
    shard: number,
    afterId: string,
    count: number,
    maxChars?: number,
  ): Promise<ReadonlyArray<ArchivedEntry>>;
  /**
   * What waits after `afterId`, without reading it: the id of the oldest entry after it (null
   * when none), and at most how many there are (the log's length, which also counts archived
   * entries not trimmed yet). Lets a pass with no segment due skip reading the entries.
   */
  pending(shard: number, afterId: string): Promise<PendingEntries>;
  /**
   * Trim the shard's log up to `entryId`, which the archive holds (ADR 0034): only the lease
   * holder calls it, with the last entry id of a checkpoint it committed. Readers then read those
   * entries from the archive. Returns the entries trimmed.
   */
  trimThrough(shard: number, entryId: string): Promise<number>;
}

/** The retention indexes append.lua keeps (ADR 0034), and the eviction of archived jobs. */
export interface RetentionIndex {
  readonly shards: number;
  /**
   * Finished jobs, oldest end first, at most `limit`: those that ended `completed`, `cancelled`
   * or `dead_letter` at or before `endedBy` (epoch ms) — without their own retainMs unless
   * `withOwnRetention` (a purge takes them all) — or (`own`) those whose own retainMs ran out by
   * `endedBy`. Jobs already recorded as evicted are never among them, and fewer than `limit`
   * means there are no more: the callers stop there, so no answer may leave out a due job
   * that a later one would give (ADR 0034, amended).
   */
  due(
    shard: number,
    rule: "completed" | "cancelled" | "dead_letter" | "own",
    endedBy: number,
    limit: number,
    withOwnRetention?: boolean,
  ): Promise<ReadonlyArray<string>>;
  /**
   * Take jobs off the retention indexes their head no longer agrees with (refused eviction: gone,
   * or not finished), checked against the head at that instant, so an entry a job was given
   * meanwhile (revived and finished again) stays. One round trip.
   */
  forget(shard: number, jobIds: ReadonlyArray<string>): Promise<void>;
  /**
   * Jobs recorded as evicted whose history the archive holds leave Redis: head, history index,
   * indexes (evict.lua); their idempotency keys expire `keysMs` later (0: at once). Returns their
   * ids.
   */
  evictArchived(shard: number, limit: number, keysMs: number): Promise<ReadonlyArray<string>>;
}

/** One sealed segment as the archive holds it: its entry lines and its signed checkpoint. */
export interface SegmentFiles {
  /** One line per entry (archivedEntryLine), each ending in a newline. */
  readonly segment: string;
  /** The signed note (checkpoint body and signatures). */
  readonly checkpoint: string;
}

/**
 * Where sealed segments are kept. A segment counts as archived once `commit` has returned: both
 * files durable and visible together, never replaced. Segment i of a shard exists only if
 * 0..i-1 do (the archiver writes them in order).
 */
export interface ArchiveStore {
  /** A description for reports (the directory's absolute path). */
  readonly location: string;
  /** The committed segment numbers of one shard, ascending (what is there, gaps included). */
  segments(shard: number): Promise<ReadonlyArray<number>>;
  /** The shards that hold at least one segment. */
  shardsPresent(): Promise<ReadonlyArray<number>>;
  /**
   * Names that look like a shard or a segment but are not spelled as one (`shard-01`,
   * `0000000003`, `000000000003.bak`), relative to the archive: nothing reads them, so a shard or
   * segment renamed to one would vanish from every check without it. Optional (a store whose
   * names cannot stray need not list any).
   */
  strays?(): Promise<ReadonlyArray<string>>;
  read(shard: number, segment: number): Promise<SegmentFiles>;
  /** The segment's checkpoint alone (its note text): what a lookup by entry id needs first. */
  readCheckpoint(shard: number, segment: number): Promise<string>;
  /**
   * Make segment `segment` of `shard` durable and visible, both files at once. Refused with
   * SegmentExists if it is there already (another archiver was first), with FencedOut if a
   * committed checkpoint of the shard carries a higher fencing token than `fence` (this writer's
   * lease has passed to another); fails with ArchiveUnavailable when the medium refuses the
   * write (full, read-only, gone). A commit cut short leaves nothing visible.
   */
  commit(shard: number, segment: number, files: SegmentFiles, fence: number): Promise<void>;
  /** Remove what an interrupted commit left behind (temporary files); never a committed segment. */
  sweep(shard: number): Promise<void>;
}

/** The lease one archiver holds at a time (ADR 0028). */
export interface ArchiverLease {
  /**
   * Take the lease if it is free or already ours, or keep it: the fencing token of this term, or
   * null when another holder has it. A new term's token is above `floor` and every earlier one.
   */
  acquire(holder: string, ttlMs: number, floor: number): Promise<number | null>;
  /** Extend our term; false when the lease is no longer ours with this token. */
  renew(holder: string, token: number, ttlMs: number): Promise<boolean>;
  /** Give it up (only if ours with this token). */
  release(holder: string, token: number): Promise<void>;
  /**
   * Note, after a commit, the segments a shard's archive now holds (a hint kept beside the lease,
   * never the source of truth: it is written after the archive and may lag it, never lead it).
   */
  noteArchived(shard: number, segments: number): Promise<void>;
  /** What was noted per shard (absent: nothing noted, or Redis lost it). */
  notedArchived(): Promise<ReadonlyMap<number, number>>;
}

/** Signs checkpoint bodies with the archive's private key, which it keeps. */
export interface NoteSigner {
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** Checks a signature against a raw 32-byte Ed25519 public key. */
export interface NoteVerifier {
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}
