/**
 * The checks one sealed segment must pass on its own (ADR 0029), shared by offline verification
 * (verify-archive.ts, which adds the checks across segments: the checkpoint chain, fences,
 * running counts, job histories), inclusion proofs (prove.ts, the signature) and the archive
 * reader (archive-reader.ts, which refuses a segment that fails any of them). Each problem is a
 * finding with a stable code; a check never throws on hostile bytes.
 */
import {
  type ArchivedEntry,
  archivedEntryLeaf,
  bytesEqual,
  type CheckpointBody,
  compareStreamIds,
  MerkleRootBuilder,
  noteKeyId,
  parseArchivedEntryLine,
  parseCheckpointBody,
  parseSignedNote,
  type SignedNote,
} from "../../domain/index.ts";
import { TimeSlice } from "../shared/index.ts";
import type { NoteVerifier, SegmentFiles } from "./ports.ts";

export type ArchiveFindingCode =
  /** No segment at all where an archive was to be verified: nothing was checked. */
  | "archive_empty"
  /** A name that looks like a shard or a segment but is not spelled as one: it was not checked. */
  | "stray_entry"
  | "segment_unreadable"
  | "segment_missing"
  | "checkpoint_malformed"
  | "unknown_key"
  | "signature_invalid"
  | "origin_mismatch"
  | "segment_misplaced"
  | "chain_broken"
  | "fence_regressed"
  | "segment_malformed"
  | "size_mismatch"
  | "root_mismatch"
  | "range_mismatch"
  | "entry_order"
  | "count_mismatch"
  /** A job's envelope chain is broken (`history` says how: seq_gap, hash_mismatch, …). */
  | "history_broken"
  /** A checkpoint kept from an earlier verification is no longer there: a shard or its last segments were cut off. */
  | "kept_checkpoint_missing"
  /** The archive holds another checkpoint where a kept one was (or the kept one is another deployment's). */
  | "kept_checkpoint_differs";

/** One problem with one segment. */
export interface SegmentFinding {
  readonly code: ArchiveFindingCode;
  readonly message: string;
}

/** What a checkpoint is checked against. */
export interface CheckpointTrust {
  /** Raw 32-byte Ed25519 public keys, any of which may have signed (several across a rotation). */
  readonly publicKeys: ReadonlyArray<Uint8Array>;
  readonly verifier: NoteVerifier;
}

/** Where a segment was found: its checkpoint must name the same place. */
export interface SegmentPlace {
  readonly shard: number;
  readonly segment: number;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const encoder = new TextEncoder();

/** Split a segment file into its lines, or say why it is not one line per entry. */
export const segmentLines = (text: string): ReadonlyArray<string> | string => {
  if (text === "") return "the segment is empty";
  if (!text.endsWith("\n")) return "the segment does not end in a newline";
  return text.slice(0, -1).split("\n");
};

/** A field's value in an entry's name/value list (the last one, as a Redis hash would keep it). */
export const fieldOf = (fields: ReadonlyArray<string>, name: string): string | undefined => {
  let value: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) value = fields[i + 1];
  return value;
};

/**
 * Why the note is not signed by one of the keys under `origin` (the key name C2SP gives it), or
 * undefined when it is: unknown_key when no signature names one of our key ids, signature_invalid
 * when one does but none checks (another key's signature behind our key id, or an edited body).
 */
export const signatureProblem = (
  note: SignedNote,
  origin: string,
  trust: CheckpointTrust,
): SegmentFinding | undefined => {
  const keyed = trust.publicKeys.map((key) => ({ key, id: noteKeyId(origin, key) }));
  const ours = note.signatures.flatMap((s) =>
    s.keyName !== origin ? [] : keyed.filter((k) => bytesEqual(k.id, s.keyId)).map((k) => ({ ...k, s })),
  );
  if (ours.length === 0)
    return {
      code: "unknown_key",
      message: `signed by ${note.signatures.map((s) => `${s.keyName}+${hex(s.keyId)}`).join(", ")}, not by ${keyed.map((k) => `${origin}+${hex(k.id)}`).join(" or ")}`,
    };
  if (!ours.some(({ key, s }) => trust.verifier.verify(key, encoder.encode(note.body), s.signature)))
    return { code: "signature_invalid", message: "the signature does not match the checkpoint's text" };
  return undefined;
};

export interface CheckedCheckpoint {
  readonly note: SignedNote;
  readonly body: CheckpointBody;
  /** Signature, origin and place, in that order (empty: the checkpoint checks out). */
  readonly findings: ReadonlyArray<SegmentFinding>;
}

/**
 * A checkpoint's note parsed and checked on its own: signed by one of the keys, naming `origin`
 * (default: its own) and the place it was found at. A note that does not parse is one finding,
 * checkpoint_malformed, and nothing else can be said about it.
 */
export const checkCheckpoint = (
  text: string,
  place: SegmentPlace,
  trust: CheckpointTrust,
  origin?: string,
): CheckedCheckpoint | SegmentFinding => {
  const note = parseSignedNote(text);
  const body = typeof note === "string" ? note : parseCheckpointBody(note.body);
  if (typeof note === "string" || typeof body === "string")
    return { code: "checkpoint_malformed", message: String(typeof note === "string" ? note : body) };
  const expected = origin ?? body.origin;
  const findings: Array<SegmentFinding> = [];
  const signature = signatureProblem(note, expected, trust);
  if (signature !== undefined) findings.push(signature);
  if (body.origin !== expected)
    findings.push({ code: "origin_mismatch", message: `origin ${body.origin}, expected ${expected}` });
  if (body.shard !== place.shard || body.segment !== place.segment)
    findings.push({
      code: "segment_misplaced",
      message: `the checkpoint is for shard ${body.shard} segment ${body.segment}`,
    });
  return { note, body, findings };
};

export interface CheckedLines {
  /** The file's lines (null: the file is not one line per entry; then `entries` is empty). */
  readonly lines: ReadonlyArray<string> | null;
  /** The lines that parse, in file order. */
  readonly entries: ReadonlyArray<ArchivedEntry>;
  /** Malformed lines, size, Merkle root, entry range, order within the segment. */
  readonly findings: ReadonlyArray<SegmentFinding>;
}

/**
 * A segment file checked against its checkpoint's body: each line a canonical entry, as many as
 * the tree size, their Merkle root the checkpoint's, the first and last ids the checkpoint's, ids
 * strictly increasing. Yields to the event loop every slice: hashing and parsing a 10,000-line
 * segment is a few hundred milliseconds an API process's requests should not wait for at once.
 */
export const checkSegmentLines = async (text: string, body: CheckpointBody): Promise<CheckedLines> => {
  const lines = segmentLines(text);
  if (typeof lines === "string")
    return { lines: null, entries: [], findings: [{ code: "segment_malformed", message: lines }] };
  const findings: Array<SegmentFinding> = [];
  const entries: Array<ArchivedEntry> = [];
  const tree = new MerkleRootBuilder();
  const order: Array<SegmentFinding> = [];
  const slice = new TimeSlice();
  for (const [i, line] of lines.entries()) {
    if (i % 64 === 63) await slice.yieldIfDue();
    tree.add(archivedEntryLeaf(line));
    const entry = parseArchivedEntryLine(line);
    if (typeof entry === "string") {
      findings.push({ code: "segment_malformed", message: `line ${i + 1}: ${entry}` });
      continue;
    }
    const previous = entries[entries.length - 1];
    if (previous !== undefined && compareStreamIds(entry.id, previous.id) <= 0)
      order.push({ code: "entry_order", message: `entry ${entry.id} does not follow ${previous.id}` });
    entries.push(entry);
  }
  if (body.treeSize !== lines.length)
    findings.push({
      code: "size_mismatch",
      message: `${lines.length} entries, the checkpoint says ${body.treeSize}`,
    });
  if (!bytesEqual(tree.root(), body.root))
    findings.push({ code: "root_mismatch", message: "the entries' Merkle root is not the checkpoint's" });
  if (entries[0]?.id !== body.firstEntryId || entries[entries.length - 1]?.id !== body.lastEntryId)
    findings.push({
      code: "range_mismatch",
      message: `entries ${entries[0]?.id}..${entries[entries.length - 1]?.id}, the checkpoint says ${body.firstEntryId}..${body.lastEntryId}`,
    });
  return { lines, entries, findings: [...findings, ...order] };
};

export interface CheckedSegment {
  readonly body: CheckpointBody;
  readonly entries: ReadonlyArray<ArchivedEntry>;
}

/**
 * One segment's files checked on their own, checkpoint then lines: the checked segment, or every
 * finding (a malformed checkpoint stops there: its lines have nothing to be checked against).
 */
export const checkSegment = async (
  files: SegmentFiles,
  place: SegmentPlace,
  trust: CheckpointTrust,
  origin: string,
): Promise<CheckedSegment | ReadonlyArray<SegmentFinding>> => {
  const checkpoint = checkCheckpoint(files.checkpoint, place, trust, origin);
  if ("code" in checkpoint) return [checkpoint];
  const lines = await checkSegmentLines(files.segment, checkpoint.body);
  const findings = [...checkpoint.findings, ...lines.findings];
  return findings.length > 0 ? findings : { body: checkpoint.body, entries: lines.entries };
};
