/**
 * Reading history back out of the archive (issue 13, reads across tiers): the archive side that
 * Redis readers fall back to once the archiver has trimmed a shard log up to its last committed
 * checkpoint. Entries by id, a range of a shard's log, and one job's entries, each served only
 * from segments that check out against their signed checkpoints (check-segment.ts): a segment
 * that does not is refused with ArchiveCorrupt, never served.
 *
 * What it keeps, per reader (one per process; its lifetime is its owner's):
 * - each shard's listing and last archived entry id, re-read when asked past its end or `fresh`
 *   (a listing with a gap in its segment numbers is refused: segment_missing);
 * - each segment's entry range from its checkpoint (signature, origin and place checked), kept
 *   for good: a committed segment is never replaced, and these few bytes are what the binary
 *   search over a shard's segments probes;
 * - each segment's set of job ids, kept for good for the same reason, so one job's lookup opens
 *   only the segments that hold it;
 * - up to `cachedSegments` parsed, fully verified segments (LRU). One evicted and needed again is
 *   read and verified again: the bytes on disk are what was checked, not a memory of them.
 */
import {
  type ArchivedEntry,
  type CheckpointBody,
  compareStreamIds,
  envelopeOfArchivedEntry,
  streamIdMs,
} from "../../domain/index.ts";
import {
  checkCheckpoint,
  type CheckpointTrust,
  checkSegment,
  fieldOf,
  type SegmentFinding,
} from "./check-segment.ts";
import { ArchiveCorrupt } from "./errors.ts";
import type { ArchiveStore, NoteVerifier, SegmentFiles } from "./ports.ts";

export interface ArchiveReaderOptions {
  readonly store: ArchiveStore;
  readonly verifier: NoteVerifier;
  /** Raw 32-byte Ed25519 public keys a checkpoint may be signed with (the current key first). */
  readonly publicKeys: ReadonlyArray<Uint8Array>;
  /** The origin every checkpoint must name ("docket/<prefix>"). */
  readonly origin: string;
  /** Parsed segments kept in memory (LRU). Default 4. */
  readonly cachedSegments?: number;
}

/** A segment's first and last entry ids, as its checked checkpoint states them. */
interface SegmentRange {
  readonly first: string;
  readonly last: string;
}

/** What a shard's archive held when last listed. */
interface Listing {
  /** Committed segment numbers, ascending. */
  readonly numbers: ReadonlyArray<number>;
  /** The last segment's last entry id ("0-0": none). */
  readonly through: string;
}

/** A segment read, verified and parsed: entries strictly increasing by id. */
interface LoadedSegment {
  readonly body: CheckpointBody;
  readonly entries: ReadonlyArray<ArchivedEntry>;
}

interface ShardState {
  listing: Promise<Listing> | undefined;
  readonly ranges: Map<number, Promise<SegmentRange>>;
  readonly jobs: Map<number, ReadonlySet<string>>;
}

const STREAM_ID = /^[0-9]{1,20}-[0-9]{1,20}$/;
const NOTHING = "0-0";

/** Index of the first entry whose id is after `id` (or at it, when `inclusive`). */
const firstFrom = (entries: ReadonlyArray<ArchivedEntry>, id: string, inclusive: boolean): number => {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const order = compareStreamIds((entries[mid] as ArchivedEntry).id, id);
    if (inclusive ? order >= 0 : order > 0) hi = mid;
    else lo = mid + 1;
  }
  return lo;
};

/** When an entry's event was written (its envelope's `at`), or +Infinity when it cannot be told. */
const writtenMsOf = (entry: ArchivedEntry): number => {
  const envelope = envelopeOfArchivedEntry(entry);
  const ms = typeof envelope === "string" ? Number.NaN : Date.parse(envelope.at);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
};

export class ArchiveReader {
  private readonly store: ArchiveStore;
  private readonly trust: CheckpointTrust;
  private readonly origin: string;
  private readonly capacity: number;
  private readonly shards = new Map<number, ShardState>();
  /** "shard/segment" → the segment loading or loaded, least recently used first. */
  private readonly segments = new Map<string, Promise<LoadedSegment>>();

  constructor(options: ArchiveReaderOptions) {
    const capacity = options.cachedSegments ?? 4;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`cachedSegments must be a positive integer, not ${capacity}`);
    this.store = options.store;
    this.trust = { publicKeys: options.publicKeys, verifier: options.verifier };
    this.origin = options.origin;
    this.capacity = capacity;
  }

  /** The last archived entry id of a shard ("0-0" when nothing is archived). */
  async archivedThrough(shard: number, fresh = false): Promise<string> {
    return (await this.listing(shard, fresh)).through;
  }

  /** The archived entries with these ids; an id the archive does not hold is absent. */
  async entries(shard: number, ids: ReadonlyArray<string>): Promise<ReadonlyMap<string, ArchivedEntry>> {
    const wanted = [...new Set(ids)].filter((id) => STREAM_ID.test(id)).sort(compareStreamIds);
    const found = new Map<string, ArchivedEntry>();
    const lastWanted = wanted[wanted.length - 1];
    if (lastWanted === undefined) return found;
    let listing = await this.listing(shard, false);
    if (compareStreamIds(lastWanted, listing.through) > 0) listing = await this.listing(shard, true);
    // Ids ascending: each search starts where the previous one ended.
    const bySegment = new Map<number, Array<string>>();
    let from = 0;
    for (const id of wanted) {
      if (compareStreamIds(id, listing.through) > 0) break;
      from = await this.firstEndingAtOrAfter(shard, listing.numbers, id, true, from);
      const segment = listing.numbers[from];
      if (segment === undefined) break;
      if (compareStreamIds((await this.rangeOf(shard, segment)).first, id) > 0) continue;
      const inSegment = bySegment.get(segment);
      if (inSegment === undefined) bySegment.set(segment, [id]);
      else inSegment.push(id);
    }
    for (const [segment, inSegment] of bySegment) {
      const { entries } = await this.load(shard, segment);
      for (const id of inSegment) {
        const entry = entries[firstFrom(entries, id, true)];
        if (entry?.id === id) found.set(id, entry);
      }
    }
    return found;
  }

  /** Up to `count` entries after `afterId` and not after `throughId`, in log order. */
  async range(
    shard: number,
    afterId: string,
    throughId: string,
    count: number,
  ): Promise<ReadonlyArray<ArchivedEntry>> {
    for (const id of [afterId, throughId])
      if (!STREAM_ID.test(id)) throw new RangeError(`${JSON.stringify(id)} is not a stream entry id`);
    const out: Array<ArchivedEntry> = [];
    const limit = Math.floor(count);
    if (!(limit > 0) || compareStreamIds(throughId, afterId) <= 0) return out;
    let listing = await this.listing(shard, false);
    if (compareStreamIds(throughId, listing.through) > 0) listing = await this.listing(shard, true);
    const { numbers } = listing;
    const start = await this.firstEndingAtOrAfter(shard, numbers, afterId, false, 0);
    for (let i = start; i < numbers.length && out.length < limit; i++) {
      const segment = numbers[i] as number;
      // Checked from the checkpoint first: a segment past the range is not opened.
      if (compareStreamIds((await this.rangeOf(shard, segment)).first, throughId) > 0) break;
      const { entries } = await this.load(shard, segment);
      for (let j = firstFrom(entries, afterId, false); j < entries.length; j++) {
        const entry = entries[j] as ArchivedEntry;
        if (compareStreamIds(entry.id, throughId) > 0 || out.length >= limit) return out;
        out.push(entry);
      }
    }
    return out;
  }

  /**
   * Every archived entry whose `jobId` field is `jobId`, in log order. `notBeforeMs`: the job
   * has no entry older than this (its id's time), so segments ending before it are skipped by
   * their checkpoints alone. `firstByMs`: the job's first entry is no later than this (its id's
   * time too), so when no segment starting by then holds it, the later ones are not opened: an
   * id naming a time long ago costs the segments of that time (and the next), not the whole
   * archive. "Starting by then" is by when the segment's first entry was written (its
   * envelope's time) as well as by its id: a stream's ids never go back, so once Redis's clock
   * has stepped back they run ahead of it, and a job submitted then was looked for in no segment
   * at all — read as never submitted once it had left Redis.
   */
  async jobEntries(
    shard: number,
    jobId: string,
    notBeforeMs?: number,
    firstByMs?: number,
  ): Promise<ReadonlyArray<ArchivedEntry>> {
    // Fresh: a job's early events may sit in a segment committed (and trimmed from Redis) since.
    const { numbers } = await this.listing(shard, true);
    const known = this.state(shard).jobs;
    const out: Array<ArchivedEntry> = [];
    const from =
      notBeforeMs === undefined
        ? 0
        : await this.firstEndingAtOrAfter(
            shard,
            numbers,
            `${Math.max(0, Math.floor(notBeforeMs))}-0`,
            true,
            0,
          );
    for (const segment of numbers.slice(from)) {
      if (out.length === 0 && firstByMs !== undefined && (await this.startsAfter(shard, segment, firstByMs)))
        break;
      if (known.get(segment)?.has(jobId) === false) continue;
      const { entries } = await this.load(shard, segment);
      for (const entry of entries) if (fieldOf(entry.fields, "jobId") === jobId) out.push(entry);
    }
    return out;
  }

  private state(shard: number): ShardState {
    let state = this.shards.get(shard);
    if (state === undefined) {
      state = { listing: undefined, ranges: new Map(), jobs: new Map() };
      this.shards.set(shard, state);
    }
    return state;
  }

  private listing(shard: number, fresh: boolean): Promise<Listing> {
    const state = this.state(shard);
    if (state.listing !== undefined && !fresh) return state.listing;
    const listing = (async (): Promise<Listing> => {
      const numbers = await this.store.segments(shard);
      // Segments are numbered 0, 1, 2, … with no gap (the archiver writes them in order): a
      // missing one would make every read across it skip its entries without a word.
      const missing = numbers.findIndex((number, i) => number !== i);
      if (missing >= 0)
        throw new ArchiveCorrupt({
          code: "segment_missing",
          shard,
          segment: missing,
          message: `segment ${missing} of shard ${shard} is missing from the archive (the next one there is ${numbers[missing]})`,
        });
      const last = numbers[numbers.length - 1];
      return { numbers, through: last === undefined ? NOTHING : (await this.rangeOf(shard, last)).last };
    })();
    state.listing = listing;
    listing.catch(() => {
      if (state.listing === listing) state.listing = undefined;
    });
    return listing;
  }

  /**
   * The index in `numbers` of the first segment (from `from` on) whose last entry id is after
   * `id`, or at it when `inclusive`; numbers.length when none is. Binary search: segments of a
   * shard hold increasing, disjoint ranges of ids.
   */
  private async firstEndingAtOrAfter(
    shard: number,
    numbers: ReadonlyArray<number>,
    id: string,
    inclusive: boolean,
    from: number,
  ): Promise<number> {
    let lo = from;
    let hi = numbers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const order = compareStreamIds((await this.rangeOf(shard, numbers[mid] as number)).last, id);
      if (inclusive ? order >= 0 : order > 0) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** A segment's entry range from its checkpoint, checked (signature, origin, place) once. */
  private rangeOf(shard: number, segment: number): Promise<SegmentRange> {
    const { ranges } = this.state(shard);
    const known = ranges.get(segment);
    if (known !== undefined) return known;
    const range = (async (): Promise<SegmentRange> => {
      const checkpoint = await this.readCheckpointOf(shard, segment);
      const checked = checkCheckpoint(checkpoint, { shard, segment }, this.trust, this.origin);
      if ("code" in checked) throw this.corrupt(shard, segment, [checked]);
      if (checked.findings.length > 0) throw this.corrupt(shard, segment, checked.findings);
      return { first: checked.body.firstEntryId, last: checked.body.lastEntryId };
    })();
    ranges.set(segment, range);
    range.catch(() => {
      if (ranges.get(segment) === range) ranges.delete(segment);
    });
    return range;
  }

  /**
   * The segment's first entry is later than `ms` both by its id and by its envelope's time (one
   * load, only when its id alone says so: ids run ahead of the clock after it stepped back).
   */
  private async startsAfter(shard: number, segment: number, ms: number): Promise<boolean> {
    if (streamIdMs((await this.rangeOf(shard, segment)).first) <= ms) return false;
    const first = (await this.load(shard, segment)).entries[0];
    return first === undefined || writtenMsOf(first) > ms;
  }

  /** A segment verified and parsed, from the LRU or read and verified now. */
  private load(shard: number, segment: number): Promise<LoadedSegment> {
    const key = `${shard}/${segment}`;
    const cached = this.segments.get(key);
    if (cached !== undefined) {
      this.segments.delete(key);
      this.segments.set(key, cached);
      return cached;
    }
    const loading = this.verify(shard, segment);
    this.segments.set(key, loading);
    loading.catch(() => {
      if (this.segments.get(key) === loading) this.segments.delete(key);
    });
    for (const oldest of this.segments.keys()) {
      if (this.segments.size <= this.capacity) break;
      this.segments.delete(oldest);
    }
    return loading;
  }

  private async verify(shard: number, segment: number): Promise<LoadedSegment> {
    const files = await this.read(shard, segment);
    const checked = await checkSegment(files, { shard, segment }, this.trust, this.origin);
    if (!("body" in checked)) throw this.corrupt(shard, segment, checked);
    const { body, entries } = checked;
    const { ranges, jobs } = this.state(shard);
    if (!ranges.has(segment))
      ranges.set(segment, Promise.resolve({ first: body.firstEntryId, last: body.lastEntryId }));
    if (!jobs.has(segment))
      jobs.set(segment, new Set(entries.flatMap((entry) => fieldOf(entry.fields, "jobId") ?? [])));
    return { body, entries };
  }

  private async readCheckpointOf(shard: number, segment: number): Promise<string> {
    try {
      return await this.store.readCheckpoint(shard, segment);
    } catch (error) {
      throw new ArchiveCorrupt({
        code: "segment_unreadable",
        shard,
        segment,
        message: `segment ${segment} of shard ${shard} is listed but its checkpoint cannot be read: ${(error as Error).message}`,
      });
    }
  }

  private async read(shard: number, segment: number): Promise<SegmentFiles> {
    try {
      return await this.store.read(shard, segment);
    } catch (error) {
      throw new ArchiveCorrupt({
        code: "segment_unreadable",
        shard,
        segment,
        message: `segment ${segment} of shard ${shard} is listed but cannot be read: ${(error as Error).message}`,
      });
    }
  }

  private corrupt(shard: number, segment: number, findings: ReadonlyArray<SegmentFinding>): ArchiveCorrupt {
    // A checkpoint naming another origin is also signed under a key name we do not check it with
    // (unknown_key): the origin is the cause, so it is named first (a reader set up for another
    // deployment's archive, say).
    const [first, ...more] = [
      ...findings.filter((f) => f.code === "origin_mismatch"),
      ...findings.filter((f) => f.code !== "origin_mismatch"),
    ] as [SegmentFinding, ...Array<SegmentFinding>];
    const also = more.length === 0 ? "" : ` (also ${[...new Set(more.map((f) => f.code))].join(", ")})`;
    return new ArchiveCorrupt({
      code: first.code,
      shard,
      segment,
      message: `segment ${segment} of shard ${shard} does not check out: ${first.message}${also}`,
    });
  }
}
