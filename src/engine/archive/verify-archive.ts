/**
 * Offline verification of an archive (ADR 0029): with the archive and the public key alone — no
 * Redis — check, shard by shard and segment by segment, every checkpoint's signature, every
 * segment's Merkle root, size, entry range and running count against its checkpoint, the chain
 * of checkpoints (each names the previous body's hash; numbers contiguous from 0), and every
 * job's envelope hash chain across the segments (seq from 1, each prevHash the previous hash,
 * each hash recomputed). Each finding is named by a stable code.
 *
 * What it cannot see alone: a dropped *last* segment of a shard, or a whole shard deleted
 * (nothing left names them). Checkpoints kept from an earlier verification (`kept`, witness.ts)
 * must still be there as they were. An archive with no segment at all is not "OK":
 * `archive_empty` says nothing was verified.
 */
import {
  CHAIN_START,
  checkNextLink,
  checkpointBodyHash,
  compareStreamIds,
  envelopeOfArchivedEntry,
  GENESIS_HASH,
  noteKeyId,
} from "../../domain/index.ts";
import { type ArchiveFindingCode, checkCheckpoint, checkSegmentLines } from "./check-segment.ts";
import type { ArchiveStore, NoteVerifier, SegmentFiles } from "./ports.ts";
import { type KeptCheckpoint, keptCheckpointFinding, type SeenShard } from "./witness.ts";

export type { ArchiveFindingCode } from "./check-segment.ts";

export interface ArchiveFinding {
  /** null: about the archive as a whole (archive_empty). */
  readonly shard: number | null;
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
  /** The number of the segment that checkpoint belongs to (null: no segment). */
  readonly lastSegment: number | null;
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
  /**
   * Entries that carry no readable event (kept as the log held them; not a failure): the first
   * `maxFindings` of them; `undecodableCount` counts them all.
   */
  readonly undecodable: ReadonlyArray<{ shard: number; segment: number; entryId: string; problem: string }>;
  readonly undecodableCount: number;
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
  /**
   * Checkpoints kept from an earlier verification: each must still be in the archive, at its
   * shard and segment, with the same body (`kept_checkpoint_missing`, `kept_checkpoint_differs`).
   */
  readonly kept?: ReadonlyArray<KeptCheckpoint>;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

export const verifyArchive = async (options: VerifyArchiveOptions): Promise<ArchiveVerifyReport> => {
  const { store, publicKeys } = options;
  const maxFindings = options.maxFindings ?? 100;
  const findings: Array<ArchiveFinding> = [];
  let truncated = false;
  const find = (finding: ArchiveFinding): void => {
    if (findings.length < maxFindings) findings.push(finding);
    else truncated = true;
  };
  const undecodable: Array<{ shard: number; segment: number; entryId: string; problem: string }> = [];
  let undecodableCount = 0;
  let origin = options.origin ?? null;
  const summaries: Array<ArchiveShardSummary> = [];
  let jobs = 0;
  let total = 0;
  const seen = new Map<number, SeenShard>();

  for (const shard of await store.shardsPresent()) {
    const numbers = await store.segments(shard);
    // Each job's chain end: what its next event must continue.
    const chains = new Map<string, { seq: number; hash: string }>();
    let prev: string | null = CHAIN_START;
    let prevFence = 0;
    let events = 0;
    let lastEntryId: string | null = null;
    let expected = 0;
    const bodyHashes = new Map<number, string>();
    let lastSegment: number | null = null;
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
      const checked = checkCheckpoint(files.checkpoint, at, options, origin ?? undefined);
      if ("code" in checked) {
        find({ ...at, ...checked });
        prev = null;
        continue;
      }
      const { note, body } = checked;
      origin ??= body.origin;
      for (const finding of checked.findings) find({ ...at, ...finding });
      if (prev !== null && body.prev !== prev)
        find({
          ...at,
          code: "chain_broken",
          message: `prev ${body.prev} is not the hash of the previous checkpoint (${prev})`,
        });
      if (body.fence < prevFence)
        find({ ...at, code: "fence_regressed", message: `fence ${body.fence} after ${prevFence}` });
      prev = checkpointBodyHash(note.body);
      bodyHashes.set(segment, prev);
      lastSegment = segment;
      prevFence = Math.max(prevFence, body.fence);

      // Lines, size, root, range and order within the segment; order across segments is below.
      const { lines, entries, findings: lineFindings } = await checkSegmentLines(files.segment, body);
      const inSegmentOrder = lineFindings.filter((f) => f.code === "entry_order");
      for (const finding of lineFindings) if (finding.code !== "entry_order") find({ ...at, ...finding });
      if (lines === null) continue;
      events += lines.length;
      if (body.events !== events)
        find({
          ...at,
          code: "count_mismatch",
          message: `${events} entries through here, the checkpoint says ${body.events}`,
        });

      const first = entries[0];
      if (first !== undefined && lastEntryId !== null && compareStreamIds(first.id, lastEntryId) <= 0)
        find({ ...at, code: "entry_order", message: `entry ${first.id} does not follow ${lastEntryId}` });
      for (const finding of inSegmentOrder) find({ ...at, ...finding });
      for (const entry of entries) {
        lastEntryId = entry.id;
        const envelope = envelopeOfArchivedEntry(entry);
        if (typeof envelope === "string") {
          // Listed up to the cap, counted always: a segment of millions of them stays small here.
          undecodableCount++;
          if (undecodable.length < maxFindings)
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
    // The segments run 0, 1, …: one past the highest is how many the shard holds (gaps are findings).
    seen.set(shard, { segments: (numbers.at(-1) ?? -1) + 1, bodyHashes });
    summaries.push({
      shard,
      segments: numbers.length,
      entries: events,
      lastEntryId,
      lastCheckpoint: prev,
      lastSegment: prev === null ? null : lastSegment,
    });
  }
  // A shard or segment renamed out of its spelling would be skipped by every check above.
  for (const name of (await store.strays?.()) ?? [])
    find({
      shard: null,
      segment: null,
      code: "stray_entry",
      message: `${name} looks like a shard or a segment but is not named as one (shard-<n>, 12 digits): it was not verified`,
    });
  for (const kept of options.kept ?? []) {
    const finding = keptCheckpointFinding(kept, origin, seen);
    if (finding !== undefined) find(finding);
  }
  // Deny by default: a directory with nothing in it (a mistyped path, the parent of the
  // deployments' archives, an archive whose every segment was deleted) verified nothing.
  if (summaries.every((summary) => summary.segments === 0))
    find({
      shard: null,
      segment: null,
      code: "archive_empty",
      message: `no segment in ${store.location}, so nothing was verified (a deployment's archive is DOCKET_ARCHIVE_DIR/<prefix>, holding shard-<n>/<segment>/ directories)`,
    });
  return {
    ok: findings.length === 0,
    location: store.location,
    origin,
    keyIds: origin === null ? [] : publicKeys.map((key) => hex(noteKeyId(origin as string, key))),
    shards: summaries,
    jobs,
    entries: total,
    undecodable,
    undecodableCount,
    findings,
    truncated,
  };
};
