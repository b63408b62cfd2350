/**
 * Inclusion proofs for one job (ADR 0029): for each of its events in the archive, the segment
 * that holds it, its leaf index, the RFC 6962 audit path to the segment's root and the signed
 * checkpoint that commits to that root. Anyone holding the checkpoint, the entry's line and the
 * public key can check the event was sealed, without the rest of the segment. Offline.
 */
import {
  archivedEntryLeaf,
  merkleInclusionProof,
  parseArchivedEntryLine,
  parseCheckpointBody,
  parseSignedNote,
  verifyMerkleInclusion,
} from "../../domain/index.ts";
import { fieldOf, segmentLines, signatureProblem } from "./check-segment.ts";
import type { ArchiveStore, NoteVerifier } from "./ports.ts";

export interface EventInclusion {
  readonly seq: number | null;
  readonly type: string | null;
  readonly entryId: string;
  readonly shard: number;
  readonly segment: number;
  readonly leafIndex: number;
  readonly treeSize: number;
  /** The entry's line in the segment: the leaf's bytes. */
  readonly line: string;
  readonly leafHash: string;
  /** Sibling hashes (hex), leaf to root. */
  readonly proof: ReadonlyArray<string>;
  /** The checkpoint's root (base64), as its body states it. */
  readonly root: string;
  /** The path leads from the leaf to the checkpoint's root. */
  readonly included: boolean;
  /** The checkpoint's signature checks with the given key (null: no key given). */
  readonly signed: boolean | null;
  /** The signed checkpoint (note text). */
  readonly checkpoint: string;
}

export interface JobInclusionProof {
  readonly jobId: string;
  readonly events: ReadonlyArray<EventInclusion>;
  /** Every event found is included and signed, and their seqs run 1..n without a gap. */
  readonly ok: boolean;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

export const proveJob = async (options: {
  readonly store: ArchiveStore;
  readonly jobId: string;
  /** The public keys a checkpoint may be signed with (several across a key rotation). */
  readonly key?: { readonly publicKeys: ReadonlyArray<Uint8Array>; readonly verifier: NoteVerifier };
}): Promise<JobInclusionProof> => {
  const { store, jobId, key } = options;
  const events: Array<EventInclusion> = [];
  for (const shard of await store.shardsPresent())
    for (const segment of await store.segments(shard)) {
      const files = await store.read(shard, segment);
      const split = segmentLines(files.segment);
      const lines = typeof split === "string" ? [] : split;
      const mine = lines.flatMap((line, index) => {
        const entry = parseArchivedEntryLine(line);
        return typeof entry !== "string" && fieldOf(entry.fields, "jobId") === jobId
          ? [{ entry, index }]
          : [];
      });
      if (mine.length === 0) continue;
      const note = parseSignedNote(files.checkpoint);
      const body = typeof note === "string" ? note : parseCheckpointBody(note.body);
      const leaves = lines.map(archivedEntryLeaf);
      const signed =
        key === undefined || typeof note === "string" || typeof body === "string"
          ? key === undefined
            ? null
            : false
          : signatureProblem(note, body.origin, key) === undefined;
      for (const { entry, index } of mine) {
        const proof = merkleInclusionProof(leaves, index);
        const leafHash = leaves[index] as Uint8Array;
        const seq = fieldOf(entry.fields, "seq");
        events.push({
          seq: seq === undefined || !/^[0-9]+$/.test(seq) ? null : Number(seq),
          type: fieldOf(entry.fields, "type") ?? null,
          entryId: entry.id,
          shard,
          segment,
          leafIndex: index,
          treeSize: lines.length,
          line: lines[index] as string,
          leafHash: hex(leafHash),
          proof: proof.map(hex),
          root: typeof body === "string" ? "" : Buffer.from(body.root).toString("base64"),
          included:
            typeof body !== "string" &&
            body.treeSize === lines.length &&
            verifyMerkleInclusion(leafHash, index, lines.length, proof, body.root),
          signed,
          checkpoint: files.checkpoint,
        });
      }
    }
  const contiguous = events.every((event, i) => event.seq === i + 1);
  return {
    jobId,
    events,
    ok: events.length > 0 && contiguous && events.every((e) => e.included && e.signed !== false),
  };
};
