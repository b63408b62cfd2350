/**
 * The archiver (ADR 0028): while it holds the archiver lease, it cuts each shard's log into
 * sealed segments — `segmentEntries` entries each, fewer once their text reaches
 * `segmentMaxChars` (large entries), or fewer once the oldest unarchived entry is `maxAgeMs`
 * old, so a quiet shard still seals — signs each segment's checkpoint chained to the
 * previous one (seal.ts), and commits both files to the archive. Then, and only then, it trims
 * the shard's log up to the segment's last entry (ADR 0034): readers read those entries from
 * the archive. After each pass it runs retention (retention.ts): records the evictions due,
 * and lets go of evicted jobs whose history the archive now holds.
 *
 * Progress is never kept in memory alone: on taking the lease, and whenever the archive says
 * another writer was there first, it is read back from the archive's last checkpoint of each
 * shard. So an archiver killed at any point loses nothing (what it had not committed is sealed
 * again from the log) and duplicates nothing (the store refuses a segment number twice).
 *
 * A stale archiver (paused past its lease) is stopped by its fencing token: renewals fail, and
 * the store refuses its commits once a later term has written (FencedOut). An archive that
 * refuses writes (full, read-only) pauses archiving, reported in `status()`, and is retried.
 *
 * Lifetime: `start()` runs the loop in the background until `stop()`; the owner closes the ports.
 */
import type { Clock } from "../shared/index.ts";
import { compareStreamIds, entryChars, streamIdMs } from "../../domain/index.ts";
import { type CheckpointTrust, checkCheckpoint } from "./check-segment.ts";
import { ArchiveUnavailable } from "./errors.ts";
import type { ArchiverLease, ArchiveStore, NoteSigner, ShardLogReader } from "./ports.ts";
import type { Retention } from "./retention.ts";
import { emptyProgress, progressAfter, type ShardProgress, sealSegment } from "./seal.ts";

/**
 * The default bound on a segment's text: 64 Mi characters of stored fields. A segment's file is
 * one string when it is written and read back, and escaping can make a line up to six times its
 * fields; 6 × 64 Mi stays under V8's longest string (2^29 − 24). Without it, a few hundred 512 KB
 * payloads (about 1 MB of line each, escaped twice) made a segment no string could hold: every
 * pass failed, and archiving, trimming and retention stopped for good.
 */
export const SEGMENT_MAX_CHARS = 64 * 1024 * 1024;

/** The milliseconds part of a stream entry id ("ms-seq"): when Redis added it. */

export interface ArchiverOptions {
  readonly log: ShardLogReader;
  readonly store: ArchiveStore;
  readonly lease: ArchiverLease;
  readonly signer: NoteSigner;
  /**
   * Checks the checkpoint progress is read from (the shard's last): the signer's public key, and
   * any earlier keys still trusted after a rotation. Progress decides how far Redis is trimmed
   * and which evicted jobs leave it, so a checkpoint no trusted key signed — planted by whoever
   * can write the directory — is never believed.
   */
  readonly trust: CheckpointTrust;
  readonly clock: Clock;
  /** The checkpoints' origin line and key name, e.g. "docket/<prefix>". */
  readonly origin: string;
  /** This process's name on the lease (unique per process). */
  readonly holder: string;
  /** Entries per full segment. */
  readonly segmentEntries: number;
  /**
   * A segment is also full once its entries' text reaches this many characters (`entryChars`;
   * default SEGMENT_MAX_CHARS), so large entries cannot make one too big to hold or write.
   */
  readonly segmentMaxChars?: number;
  /** A partial segment is sealed once its oldest entry is this old (by its stream id's time). */
  readonly maxAgeMs: number;
  /** The lease's time to live; renewed every third of it. */
  readonly leaseMs: number;
  /** Pause between passes that found nothing to seal. */
  readonly pollMs: number;
  /** Trim each shard's log up to what the archive committed (default true). */
  readonly trim?: boolean;
  /** Retention to run after each pass while the lease is held (none: nothing is evicted). */
  readonly retention?: Retention;
  readonly onError?: (error: unknown) => void;
}

export type ArchiverState = "idle" | "standby" | "active" | "paused" | "stopped";

export interface ArchiverStatus {
  /** standby: another archiver holds the lease; paused: the archive refuses writes. */
  readonly state: ArchiverState;
  readonly holder: string;
  /** This term's fencing token while active. */
  readonly fence: number | null;
  /** Why archiving is paused (the archive's error), when it is. */
  readonly paused: { readonly code: string; readonly message: string; readonly since: number } | null;
  readonly lastError: string | null;
  /** Segments this process has sealed. */
  readonly sealed: number;
  /** Entries this process has archived. */
  readonly archivedEntries: number;
  /** Entries this process has trimmed from the shard logs after archiving them. */
  readonly trimmedEntries: number;
  /** Jobs this process recorded as evicted (JobEvicted), and that then left Redis. */
  readonly evictionsRecorded: number;
  readonly evicted: number;
  /** Each shard's archive progress, as last read or written (empty until the lease is held). */
  readonly shards: ReadonlyArray<ShardProgress>;
}

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null ? (error as { _tag?: string })._tag : undefined;

/** Why a loop ended its pass early: the lease was lost. */
class LeaseLost extends Error {}

export class Archiver {
  private token: number | null = null;
  private renewedAt = 0;
  private progress = new Map<number, ShardProgress>();
  private state: ArchiverState = "idle";
  private paused: ArchiverStatus["paused"] = null;
  private lastError: string | null = null;
  private sealed = 0;
  private archivedEntries = 0;
  private trimmedEntries = 0;
  private evictionsRecorded = 0;
  private evicted = 0;
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;

  constructor(private readonly options: ArchiverOptions) {
    if (!Number.isInteger(options.segmentEntries) || options.segmentEntries < 1)
      throw new RangeError("segmentEntries must be a positive whole number");
    const maxChars = options.segmentMaxChars ?? SEGMENT_MAX_CHARS;
    if (!Number.isInteger(maxChars) || maxChars < 1 || maxChars > SEGMENT_MAX_CHARS)
      throw new RangeError(`segmentMaxChars must be a whole number from 1 to ${SEGMENT_MAX_CHARS}`);
  }

  status(): ArchiverStatus {
    return {
      state: this.state,
      holder: this.options.holder,
      fence: this.token,
      paused: this.paused,
      lastError: this.lastError,
      sealed: this.sealed,
      archivedEntries: this.archivedEntries,
      trimmedEntries: this.trimmedEntries,
      evictionsRecorded: this.evictionsRecorded,
      evicted: this.evicted,
      shards: [...this.progress.values()].sort((a, b) => a.shard - b.shard),
    };
  }

  start(): void {
    if (this.running !== null) return;
    this.stopping = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = null;
    if (this.token !== null) {
      await this.options.lease.release(this.options.holder, this.token).catch(() => undefined);
      this.token = null;
    }
    this.state = "stopped";
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let sealedNow = 0;
      try {
        sealedNow = await this.runOnce();
        failures = 0;
      } catch (error) {
        failures += 1;
        this.lastError = error instanceof Error ? error.message : String(error);
        this.options.onError?.(error);
      }
      if (this.stopping) break;
      // Right away while there is a backlog; after failures, back off up to 10 polls.
      const delay = sealedNow > 0 ? 0 : this.options.pollMs * Math.min(10, 2 ** failures);
      if (delay > 0)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      this.wake = null;
    }
  }

  /**
   * One pass: take or keep the lease, then seal every segment that is due in every shard.
   * Returns the segments sealed. Errors other than the archive's refusals are thrown.
   */
  async runOnce(): Promise<number> {
    let sealed = 0;
    try {
      if (!(await this.holdLease())) return 0;
      for (let shard = 0; shard < this.options.log.shards; shard++) sealed += await this.sealDue(shard);
      this.state = "active";
      this.paused = null;
      await this.retain();
    } catch (error) {
      if (error instanceof LeaseLost) return sealed;
      if (tagOf(error) === "ArchiveUnavailable") {
        const { code, message } = error as { code: string; message: string };
        this.state = "paused";
        this.paused = { code, message, since: this.paused?.since ?? this.options.clock.now() };
        this.lastError = message;
        return sealed;
      }
      throw error;
    }
    return sealed;
  }

  /**
   * Retention, while the lease is ours: trimming the logs of what was archived before (a crash
   * between a commit and its trim), recording the evictions due, and letting go of evicted jobs
   * the archive now holds.
   */
  private async retain(): Promise<void> {
    const { retention, log } = this.options;
    if (this.options.trim !== false)
      for (const progress of this.progress.values())
        if (progress.lastEntryId !== "0-0")
          this.trimmedEntries += await log.trimThrough(progress.shard, progress.lastEntryId);
    if (retention === undefined) return;
    this.evictionsRecorded += await retention.recordDue();
    this.evicted += await retention.evictArchived();
  }

  /** Is the lease ours (taken now, or renewed)? Reads progress back from the archive on taking it. */
  private async holdLease(): Promise<boolean> {
    const { lease, holder, leaseMs, clock } = this.options;
    if (this.token !== null) {
      if (clock.now() - this.renewedAt < leaseMs / 3) return true;
      if (await lease.renew(holder, this.token, leaseMs)) {
        this.renewedAt = clock.now();
        return true;
      }
      this.loseLease();
    }
    // A term's token must pass every token in the archive, even if Redis lost its counter.
    const floor = await this.archivedFence();
    const token = await lease.acquire(holder, leaseMs, floor);
    if (token === null) {
      this.state = "standby";
      return false;
    }
    this.token = token;
    this.renewedAt = clock.now();
    this.progress.clear();
    const noted = await lease.notedArchived();
    for (let shard = 0; shard < this.options.log.shards; shard++) {
      await this.options.store.sweep(shard).catch(() => undefined);
      const progress = await this.readProgress(shard);
      // Another archive was ahead of this one (another host's directory, a restored backup):
      // continuing here would start a second, divergent archive of the same log.
      const ahead = noted.get(shard) ?? 0;
      if (progress.nextSegment < ahead) {
        await lease.release(holder, token).catch(() => undefined);
        this.token = null;
        throw new ArchiveUnavailable({
          code: "archive_behind",
          message: `the archive at ${this.options.store.location} holds ${progress.nextSegment} segment(s) of shard ${shard}, but ${ahead} were archived: is DOCKET_ARCHIVE_DIR another archiver's directory, or a restored backup?`,
        });
      }
      this.progress.set(shard, progress);
    }
    this.state = "active";
    return true;
  }

  private loseLease(): void {
    this.token = null;
    this.progress.clear();
    this.state = "standby";
  }

  private async archivedFence(): Promise<number> {
    let fence = 0;
    for (let shard = 0; shard < this.options.log.shards; shard++)
      fence = Math.max(fence, (await this.readProgress(shard)).fence);
    return fence;
  }

  /** A shard's progress as the archive records it: after its last committed checkpoint. */
  private async readProgress(shard: number): Promise<ShardProgress> {
    const segments = await this.options.store.segments(shard);
    const last = segments[segments.length - 1];
    if (last === undefined) return emptyProgress(shard);
    const checkpoint = await this.options.store.readCheckpoint(shard, last);
    // Checked before it is believed: its last entry id is how far the shard's log is trimmed, and
    // its fence the floor of the next lease's token. A checkpoint no trusted key signed (planted
    // by whoever can write the directory), or one found out of its place, pauses archiving.
    const checked = checkCheckpoint(
      checkpoint,
      { shard, segment: last },
      this.options.trust,
      this.options.origin,
    );
    const findings = "code" in checked ? [checked] : checked.findings;
    const [first] = findings;
    if (first !== undefined)
      throw new ArchiveUnavailable({
        code: "archive_corrupt",
        message: `the archive at ${this.options.store.location}: the last checkpoint of shard ${shard} (segment ${last}) does not check out (${[...new Set(findings.map((f) => f.code))].join(", ")}: ${first.message}); nothing is archived or trimmed until it is repaired (docket audit verify --archive)`,
      });
    const progress = progressAfter(shard, checkpoint);
    // Another deployment's archive (another prefix): continuing its chains would mix two logs.
    if (progress.origin !== this.options.origin)
      throw new ArchiveUnavailable({
        code: "foreign_archive",
        message: `the archive at ${this.options.store.location} holds ${progress.origin}'s log, not ${this.options.origin}'s (DOCKET_ARCHIVE_DIR)`,
      });
    return progress;
  }

  /** Seal this shard's due segments; returns how many. */
  private async sealDue(shard: number): Promise<number> {
    const { log, store, clock, segmentEntries, maxAgeMs, origin, signer } = this.options;
    let sealed = 0;
    for (;;) {
      if (this.stopping) return sealed;
      // Renew when a third of the term is gone: a commit made on a lapsed lease is refused by
      // the store anyway once a later term has written, but this keeps it rare.
      if (!(await this.holdLease()) || this.token === null) throw new LeaseLost();
      const fence = this.token;
      const progress = this.progress.get(shard) ?? (await this.readProgress(shard));
      // Most passes find no segment due (fewer entries than a segment, none old enough): tell
      // that from the oldest id and the log's length, instead of reading and dropping what waits.
      const waiting = await log.pending(shard, progress.lastEntryId);
      if (waiting.oldestId === null) return sealed;
      if (waiting.atMost < segmentEntries && clock.now() - streamIdMs(waiting.oldestId) < maxAgeMs)
        return sealed;
      const maxChars = this.options.segmentMaxChars ?? SEGMENT_MAX_CHARS;
      const entries = await log.readAfter(shard, progress.lastEntryId, segmentEntries, maxChars);
      const first = entries[0];
      if (first === undefined) return sealed;
      const full =
        entries.length >= segmentEntries || entries.reduce((n, e) => n + entryChars(e), 0) >= maxChars;
      if (!full && clock.now() - streamIdMs(first.id) < maxAgeMs) return sealed;
      if (compareStreamIds(first.id, progress.lastEntryId) <= 0)
        throw new Error(`shard ${shard}'s log returned ${first.id}, not after ${progress.lastEntryId}`);
      const files = await sealSegment({ origin, progress, entries, fence, signer });
      try {
        await store.commit(shard, progress.nextSegment, files, fence);
      } catch (error) {
        const tag = tagOf(error);
        if (tag === "SegmentExists") {
          // Someone committed it first (a stale archiver, or ourselves before a restart).
          this.progress.set(shard, await this.readProgress(shard));
          continue;
        }
        if (tag === "FencedOut") {
          this.loseLease();
          throw new LeaseLost();
        }
        throw error;
      }
      const committed = progressAfter(shard, files.checkpoint);
      this.progress.set(shard, committed);
      // The archive took a write: archiving is no longer paused, whatever comes next in the pass.
      this.paused = null;
      this.state = "active";
      await this.options.lease.noteArchived(shard, progress.nextSegment + 1).catch(() => undefined);
      // Durable in the archive (commit returned): Redis may let go of it.
      if (this.options.trim !== false)
        this.trimmedEntries += await log.trimThrough(shard, committed.lastEntryId);
      this.sealed += 1;
      this.archivedEntries += entries.length;
      sealed += 1;
    }
  }
}
