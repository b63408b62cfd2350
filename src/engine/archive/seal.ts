/**
 * Sealing one segment (ADR 0028, 0029): from the shard-log entries after the last checkpoint to
 * the segment file's text and its signed checkpoint, chained to the previous one. Where the
 * previous checkpoint left off (`ShardProgress`) is read back from the archive itself, so the
 * archive alone says how far it has come.
 */
import {
  type ArchivedEntry,
  archivedEntryLeaf,
  archivedEntryLine,
  CHAIN_START,
  checkpointBodyHash,
  formatCheckpointBody,
  formatSignedNote,
  MerkleRootBuilder,
  noteKeyId,
  parseCheckpointBody,
  parseSignedNote,
} from "../../domain/index.ts";
import { TimeSlice } from "../shared/index.ts";
import type { NoteSigner, SegmentFiles } from "./ports.ts";

/** Where a shard's archive stands: what the next segment continues. */
export interface ShardProgress {
  readonly shard: number;
  /** The origin the last checkpoint names (null before the first). */
  readonly origin: string | null;
  /** The number the next segment gets. */
  readonly nextSegment: number;
  /** The last archived entry id ("0-0" before the first segment). Trimming may go up to here. */
  readonly lastEntryId: string;
  /** Entries archived in this shard. */
  readonly events: number;
  /** The hash the next checkpoint names as `prev`. */
  readonly prev: string;
  /** The highest fencing token among this shard's checkpoints (0 when none). */
  readonly fence: number;
}

export const emptyProgress = (shard: number): ShardProgress => ({
  shard,
  origin: null,
  nextSegment: 0,
  lastEntryId: "0-0",
  events: 0,
  prev: CHAIN_START,
  fence: 0,
});

/** The progress after a committed checkpoint (its note text). Throws on one that does not parse. */
export const progressAfter = (shard: number, checkpoint: string): ShardProgress => {
  const note = parseSignedNote(checkpoint);
  const body = typeof note === "string" ? note : parseCheckpointBody(note.body);
  if (typeof note === "string" || typeof body === "string")
    throw new Error(
      `the last checkpoint of shard ${shard} does not parse: ${String(typeof note === "string" ? note : body)}`,
    );
  return {
    shard,
    origin: body.origin,
    nextSegment: body.segment + 1,
    lastEntryId: body.lastEntryId,
    events: body.events,
    prev: checkpointBodyHash(note.body),
    fence: body.fence,
  };
};

export interface SealRequest {
  readonly origin: string;
  readonly progress: ShardProgress;
  readonly entries: ReadonlyArray<ArchivedEntry>;
  readonly fence: number;
  readonly signer: NoteSigner;
}

const encoder = new TextEncoder();

/**
 * How long sealing holds the event loop before it yields (ms). Shorter than the usual slice: an
 * archiver run inline shares its loop with an API's requests and submits, and with 10 ms slices
 * the submits of `npm run bench` row 5 (paced 2,000/s) waited long enough to double their p99
 * (ADR 0034's notes). `docket api` runs it in a thread of its own (ADR 0044), where the slices
 * cost next to nothing and keep its status answering.
 */
const SEAL_SLICE_MS = 3;

/**
 * The files of the next segment over `entries` (at least one), signed. Yields to the event loop
 * every slice: a 10,000-entry segment is about half a second of hashing, which an API process's
 * requests should not wait for in one piece.
 */
export const sealSegment = async (request: SealRequest): Promise<SegmentFiles> => {
  const { origin, progress, entries, fence, signer } = request;
  const first = entries[0];
  const last = entries[entries.length - 1];
  if (first === undefined || last === undefined) throw new RangeError("a segment holds at least one entry");
  const slice = new TimeSlice(SEAL_SLICE_MS);
  const lines: Array<string> = [];
  // The root is built as the leaves come, so its hashing is sliced with theirs.
  const tree = new MerkleRootBuilder();
  for (const [i, entry] of entries.entries()) {
    if (i % 64 === 63) await slice.yieldIfDue();
    const line = archivedEntryLine(entry);
    lines.push(line);
    tree.add(archivedEntryLeaf(line));
  }
  const body = formatCheckpointBody({
    origin,
    treeSize: entries.length,
    root: tree.root(),
    shard: progress.shard,
    segment: progress.nextSegment,
    firstEntryId: first.id,
    lastEntryId: last.id,
    events: progress.events + entries.length,
    fence,
    prev: progress.prev,
  });
  const signature = signer.sign(encoder.encode(body));
  const checkpoint = formatSignedNote({
    body,
    signatures: [{ keyName: origin, keyId: noteKeyId(origin, signer.publicKey), signature }],
  });
  return { segment: `${lines.join("\n")}\n`, checkpoint };
};
