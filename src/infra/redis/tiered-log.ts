/**
 * A shard log across its two tiers (ADR 0034): Redis holds the hot tail, and everything up to
 * the shard's archived-through id (`<p>:{s}:archived`, set by trim.lua with each trim) may have
 * been trimmed from it into the archive. Reads after a position, and reads of entries by id,
 * go to the archive for what Redis no longer holds, so the projector, the event store and the
 * auditor read one log whatever has been trimmed.
 *
 * Soundness: the archived-through id is read in the same pipeline, after the range: trim.lua
 * moves it and trims in one step, so a range read from a position at or after it lost nothing
 * to a trim; a range from before it is read from the archive up to it, then again from Redis.
 *
 * Without an archive (a process not given DOCKET_ARCHIVE_DIR), a read that needs one fails with
 * ArchiveNeeded instead of silently skipping what was trimmed.
 */
import type { RedisClient } from "./connection.ts";
import { compareStreamIds, streamIdMs } from "../../domain/index.ts";
import { ArchiveBehind, ArchiveNeeded } from "../../engine/read/index.ts";
import type { ArchivedLog, ArchivedLogEntry } from "../../engine/read/ports.ts";
import type { Keys } from "./keys.ts";
import type { StreamEntries } from "./stream-entries.ts";

/** Clocks of the processes that write may differ by this much (a job's id vs its first entry). */
const CLOCK_SKEW_MS = 60_000;

const UUID_V7 = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The creation time a UUIDv7 carries (its first 48 bits), or undefined for another id. */
export const uuidv7Ms = (id: string): number | undefined => {
  const match = UUID_V7.exec(id);
  return match === null ? undefined : parseInt(`${match[1]}${match[2]}`, 16);
};

const isEntryId = (id: string | null): id is string => id !== null && /^\d+-\d+$/.test(id);

/** a <= b, for stream ids; "0-0" and non-ids (a tampered index element) order first. */
export const atOrBefore = (a: string, b: string): boolean =>
  isEntryId(a) && isEntryId(b) && compareStreamIds(a, b) <= 0;

export class TieredLog {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    private readonly archive: ArchivedLog | undefined,
  ) {}

  /** The shard's archived-through id, or null when nothing was trimmed. */
  async archivedThrough(shard: number): Promise<string | null> {
    const id = await this.client.get(this.keys.archivedThrough(shard));
    return isEntryId(id) ? id : null;
  }

  /** Up to `count` entries strictly after `afterId`, from whichever tier holds them. */
  async after(shard: number, afterId: string, count: number): Promise<StreamEntries> {
    const key = this.keys.log(shard);
    const replies =
      (await this.client
        .pipeline()
        .xrange(key, `(${afterId}`, "+", "COUNT", count)
        .get(this.keys.archivedThrough(shard))
        .exec()) ?? [];
    const [rangeError, raw] = replies[0] ?? [null, []];
    const [getError, through] = replies[1] ?? [null, null];
    if (rangeError) throw rangeError;
    if (getError) throw getError;
    const archived = isEntryId(through as string | null) ? (through as string) : null;
    // Only a read from before the archived-through id may have lost entries to a trim.
    if (archived === null || !isEntryId(afterId) || compareStreamIds(afterId, archived) >= 0)
      return raw as StreamEntries;
    if (this.archive === undefined) throw new ArchiveNeeded({ shard, what: `entries after ${afterId}` });
    const old = await this.archive.range(shard, afterId, archived, count);
    if (old.length === 0) throw new ArchiveBehind({ shard, archivedThrough: archived, holds: afterId });
    const entries: StreamEntries = old.map(({ id, fields }) => [id, [...fields]]);
    if (entries.length >= count) return entries;
    const last = entries[entries.length - 1]?.[0] ?? archived;
    return [...entries, ...(await this.after(shard, last, count - entries.length))];
  }

  /**
   * Every archived entry of a job that has left Redis, in log order ([] when the archive has
   * none: a job never submitted reads the same). Docket's ids
   * are UUIDv7, naming the job's creation time, which its first event is within the clock skew
   * of: segments that end before it are not opened, nor those after the ones of that time when
   * these do not hold the job; any other id (or one from the future) is not looked for. A
   * stranger's guesses cost no archive reads, or those of the segments of the time they name
   * (and the next) — never the whole archive (an id naming 1970 once read every segment).
   *
   * Without an archive, an id whose job may have left Redis (its time, less the clock skew, at
   * or before the archived-through id) is ArchiveNeeded: this process cannot tell. Answering []
   * made the in-process API say such a job does not exist, and refuse an idempotent repeat of
   * its submit, or a dependency on it, as naming no job.
   */
  async jobEntries(
    shard: number,
    jobId: string,
    archived: string | null,
  ): Promise<ReadonlyArray<ArchivedLogEntry>> {
    const created = uuidv7Ms(jobId);
    if (created === undefined || created > Date.now() + CLOCK_SKEW_MS) return [];
    if (this.archive === undefined) {
      if (isEntryId(archived) && created - CLOCK_SKEW_MS <= streamIdMs(archived))
        throw new ArchiveNeeded({ shard, what: `the history of job ${jobId}, if it has left Redis` });
      return [];
    }
    const entries = await this.archive.jobEntries(
      shard,
      jobId,
      Math.max(0, created - CLOCK_SKEW_MS),
      created + CLOCK_SKEW_MS,
    );
    // The archive must hold everything Redis trimmed into it: one that lost its last segments
    // (or a whole shard) would otherwise answer a history cut short, or no job at all.
    if (isEntryId(archived)) {
      const holds = await this.archive.archivedThrough(shard);
      if (!atOrBefore(archived, holds)) throw new ArchiveBehind({ shard, archivedThrough: archived, holds });
    }
    return entries;
  }

  /**
   * Entries trimmed from the log, by id, from the archive: for each id at or before the shard's
   * archived-through id (`archived`, read with the job histories), its fields; others are absent.
   */
  async archivedEntries(
    shard: number,
    ids: ReadonlyArray<string>,
    archived: string | null,
  ): Promise<ReadonlyMap<string, ReadonlyArray<string>>> {
    const wanted = archived === null ? [] : ids.filter((id) => atOrBefore(id, archived));
    if (wanted.length === 0) return new Map();
    if (this.archive === undefined) throw new ArchiveNeeded({ shard, what: `entry ${wanted[0]}` });
    const found = await this.archive.entries(shard, wanted);
    return new Map([...found].map(([id, entry]) => [id, entry.fields]));
  }
}
