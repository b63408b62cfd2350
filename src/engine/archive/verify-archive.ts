/**
 * Offline verification of an archive (ADR 0029): with the archive and the public key alone — no
 * Redis — check, shard by shard and segment by segment, every checkpoint's signature, every
 * segment's Merkle root, size, entry range and running count against its checkpoint, the chain
 * of checkpoints (each names the previous body's hash; numbers contiguous from 0), and every
 * job's envelope hash chain across the segments (seq from 1, each prevHash the previous hash,
 * each hash recomputed). Each finding is named by a stable code.
 *
 * What it cannot see alone: a dropped *last* segment of a shard (nothing after it names it). An
 * auditor who kept an earlier checkpoint compares `shards[].lastCheckpoint` with it (docs).
 */
import {
  type ArchivedEntry,
  archivedEntryLeaf,
  bytesEqual,
  CHAIN_START,
  type CheckpointBody,
  checkNextLink,
  checkpointBodyHash,
  compareStreamIds,
  envelopeOfArchivedEntry,
  GENESIS_HASH,
  merkleRoot,
  noteKeyId,
  parseArchivedEntryLine,
  parseCheckpointBody,
  parseSignedNote,
} from "../../domain/index.ts";
import type { ArchiveStore, NoteVerifier, SegmentFiles } from "./ports.ts";

export type ArchiveFindingCode =
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
  | "history_broken";

export interface ArchiveFinding {
  readonly shard: number;
  readonly segment: number | null;
  readonly code: ArchiveFindingCode;
  readonly message: string;
  readonly jobId?: string;
  readonly seq?: number;
  readonly history?: string;
}

export interface ArchiveShardSummary {
  readonly shard: number;
  readonly segments: number;
  readonly entries: number;
  readonly lastEntryId: string | null;
  /** The last checkpoint's body hash: compare with one kept elsewhere to see nothing was cut off. */
  readonly lastCheckpoint: string | null;
}

export interface ArchiveVerifyReport {
  readonly ok: boolean;
  readonly location: string;
  readonly origin: string | null;
  /** The signed-note key ids (hex) of the keys checked against. */
  readonly keyIds: ReadonlyArray<string>;
  readonly shards: ReadonlyArray<ArchiveShardSummary>;
  readonly jobs: number;
  readonly entries: number;
  /** Entries that carry no readable event (kept as the log held them; not a failure). */
  readonly undecodable: ReadonlyArray<{ shard: number; segment: number; entryId: string; problem: string }>;
  readonly findings: ReadonlyArray<ArchiveFinding>;
  /** True when findings were cut at `maxFindings`. */
  readonly truncated: boolean;
}

export interface VerifyArchiveOptions {
  readonly store: ArchiveStore;
  readonly verifier: NoteVerifier;
  /**
   * The raw 32-byte Ed25519 public keys a checkpoint may be signed with (one, or several across a
   * key rotation: each checkpoint must carry a valid signature by one of them).
   */
  readonly publicKeys: ReadonlyArray<Uint8Array>;
  /** The origin expected (default: the first checkpoint's). */
  readonly origin?: string;
  readonly maxFindings?: number;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const encoder = new TextEncoder();

/** Split a segment file into its lines, or say why it is not one line per entry. */
const segmentLines = (text: string): ReadonlyArray<string> | string => {
  if (text === "") return "the segment is empty";
  if (!text.endsWith("\n")) return "the segment does not end in a newline";
  return text.slice(0, -1).split("\n");
};

export const verifyArchive = async (options: VerifyArchiveOptions): Promise<ArchiveVerifyReport> => {
  const { store, verifier, publicKeys } = options;
  const maxFindings = options.maxFindings ?? 100;
  const findings: Array<ArchiveFinding> = [];
  let truncated = false;
  const find = (finding: ArchiveFinding): void => {
    if (findings.length < maxFindings) findings.push(finding);
    else truncated = true;
  };
  const undecodable: Array<{ shard: number; segment: number; entryId: string; problem: string }> = [];
  let origin = options.origin ?? null;
  const summaries: Array<ArchiveShardSummary> = [];
  let jobs = 0;
  let total = 0;

  for (const shard of await store.shardsPresent()) {
    const numbers = await store.segments(shard);
    // Each job's chain end: what its next event must continue.
    const chains = new Map<string, { seq: number; hash: string }>();
    let prev: string | null = CHAIN_START;
    let prevFence = 0;
    let events = 0;
    let lastEntryId: string | null = null;
    let expected = 0;
    for (const segment of numbers) {
      if (segment !== expected) {
        find({
          shard,
          segment: expected,
          code: "segment_missing",
          message: `segments ${expected}..${segment - 1} of shard ${shard} are missing`,
        });
        prev = null; // the chain cannot be followed across the gap
      }
      expected = segment + 1;
      let files: SegmentFiles;
      try {
        files = await store.read(shard, segment);
      } catch (error) {
        find({ shard, segment, code: "segment_unreadable", message: (error as Error).message });
        prev = null;
        continue;
      }
      const at = { shard, segment };
      const note = parseSignedNote(files.checkpoint);
      const body: CheckpointBody | string = typeof note === "string" ? note : parseCheckpointBody(note.body);
      if (typeof note === "string" || typeof body === "string") {
        find({
          ...at,
          code: "checkpoint_malformed",
          message: String(typeof note === "string" ? note : body),
        });
        prev = null;
        continue;
      }
      origin ??= body.origin;
      const name = origin;
      const keyed = publicKeys.map((key) => ({ key, id: noteKeyId(name, key) }));
      const ours = note.signatures.flatMap((s) =>
        s.keyName !== name ? [] : keyed.filter((k) => bytesEqual(k.id, s.keyId)).map((k) => ({ ...k, s })),
      );
      if (ours.length === 0)
        find({
          ...at,
          code: "unknown_key",
          message: `signed by ${note.signatures.map((s) => `${s.keyName}+${hex(s.keyId)}`).join(", ")}, not by ${keyed.map((k) => `${name}+${hex(k.id)}`).join(" or ")}`,
        });
      else if (!ours.some(({ key, s }) => verifier.verify(key, encoder.encode(note.body), s.signature)))
        find({
          ...at,
          code: "signature_invalid",
          message: "the signature does not match the checkpoint's text",
        });
      if (body.origin !== origin)
        find({ ...at, code: "origin_mismatch", message: `origin ${body.origin}, expected ${origin}` });
      if (body.shard !== shard || body.segment !== segment)
        find({
          ...at,
          code: "segment_misplaced",
          message: `the checkpoint is for shard ${body.shard} segment ${body.segment}`,
        });
      if (prev !== null && body.prev !== prev)
        find({
          ...at,
          code: "chain_broken",
          message: `prev ${body.prev} is not the hash of the previous checkpoint (${prev})`,
        });
      if (body.fence < prevFence)
        find({ ...at, code: "fence_regressed", message: `fence ${body.fence} after ${prevFence}` });
      prev = checkpointBodyHash(note.body);
      prevFence = Math.max(prevFence, body.fence);

      const lines = segmentLines(files.segment);
      if (typeof lines === "string") {
        find({ ...at, code: "segment_malformed", message: lines });
        continue;
      }
      const entries: Array<ArchivedEntry> = [];
      for (const [i, line] of lines.entries()) {
        const entry = parseArchivedEntryLine(line);
        if (typeof entry === "string")
          find({ ...at, code: "segment_malformed", message: `line ${i + 1}: ${entry}` });
        else entries.push(entry);
      }
      if (body.treeSize !== lines.length)
        find({
          ...at,
          code: "size_mismatch",
          message: `${lines.length} entries, the checkpoint says ${body.treeSize}`,
        });
      if (!bytesEqual(merkleRoot(lines.map(archivedEntryLeaf)), body.root))
        find({ ...at, code: "root_mismatch", message: "the entries' Merkle root is not the checkpoint's" });
      if (entries[0]?.id !== body.firstEntryId || entries[entries.length - 1]?.id !== body.lastEntryId)
        find({
          ...at,
          code: "range_mismatch",
          message: `entries ${entries[0]?.id}..${entries[entries.length - 1]?.id}, the checkpoint says ${body.firstEntryId}..${body.lastEntryId}`,
        });
      events += lines.length;
      if (body.events !== events)
        find({
          ...at,
          code: "count_mismatch",
          message: `${events} entries through here, the checkpoint says ${body.events}`,
        });

      for (const entry of entries) {
        if (lastEntryId !== null && compareStreamIds(entry.id, lastEntryId) <= 0)
          find({ ...at, code: "entry_order", message: `entry ${entry.id} does not follow ${lastEntryId}` });
        lastEntryId = entry.id;
        const envelope = envelopeOfArchivedEntry(entry);
        if (typeof envelope === "string") {
          undecodable.push({ ...at, entryId: entry.id, problem: envelope });
          continue;
        }
        const chain = chains.get(envelope.jobId);
        const failure = checkNextLink(
          envelope,
          envelope.jobId,
          (chain?.seq ?? 0) + 1,
          chain?.hash ?? GENESIS_HASH,
        );
        if (failure !== undefined)
          find({
            ...at,
            code: "history_broken",
            message: `job ${envelope.jobId}: ${failure.reason} (entry ${entry.id})`,
            jobId: envelope.jobId,
            seq: failure.seq,
            history: failure.code,
          });
        chains.set(envelope.jobId, { seq: envelope.seq, hash: envelope.hash });
      }
    }
    jobs += chains.size;
    total += events;
    summaries.push({ shard, segments: numbers.length, entries: events, lastEntryId, lastCheckpoint: prev });
  }
  return {
    ok: findings.length === 0,
    location: store.location,
    origin,
    keyIds: origin === null ? [] : publicKeys.map((key) => hex(noteKeyId(origin as string, key))),
    shards: summaries,
    jobs,
    entries: total,
    undecodable,
    findings,
    truncated,
  };
};
