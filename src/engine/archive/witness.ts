/**
 * Checkpoints an auditor kept from an earlier verification (ADR 0029, amended): the one thing an
 * archive cannot show about itself. Nothing in an archive names its own last segment, so an
 * archive cut back by its last segments — or a whole shard deleted — verifies on its own. A
 * checkpoint kept from before (a witness, in C2SP's terms) must still be in the archive, at the
 * same shard and segment, with the same body: the archive then extends what the auditor saw.
 */
import { checkpointBodyHash, parseCheckpointBody, parseSignedNote } from "../../domain/index.ts";
import { type CheckpointTrust, type SegmentFinding, signatureProblem } from "./check-segment.ts";

/** A checkpoint kept from an earlier verification. */
export interface KeptCheckpoint {
  /** Where it was kept (a file name), for the findings. */
  readonly name: string;
  readonly origin: string;
  readonly shard: number;
  readonly segment: number;
  /** Hex SHA-256 of its body: what the archive's checkpoint at the same place must hash to. */
  readonly bodyHash: string;
}

/**
 * A kept checkpoint's text read back, or why it cannot be one: it must be a checkpoint signed by
 * one of the trusted keys (a kept file is the auditor's own record; one that is not signed says
 * nothing about the archive).
 */
export const keptCheckpointOf = (
  text: string,
  name: string,
  trust: CheckpointTrust,
): KeptCheckpoint | string => {
  const note = parseSignedNote(text);
  if (typeof note === "string") return `${name} is not a signed checkpoint: ${note}`;
  const body = parseCheckpointBody(note.body);
  if (typeof body === "string") return `${name} is not a checkpoint: ${body}`;
  const problem = signatureProblem(note, body.origin, trust);
  if (problem !== undefined) return `${name}: ${problem.code}: ${problem.message}`;
  return {
    name,
    origin: body.origin,
    shard: body.shard,
    segment: body.segment,
    bodyHash: checkpointBodyHash(note.body),
  };
};

/** What the verification saw of a shard: the body hash of each segment's checkpoint that parsed. */
export interface SeenShard {
  readonly segments: number;
  readonly bodyHashes: ReadonlyMap<number, string>;
}

/** The finding for one kept checkpoint, if the archive does not hold it as it was. */
export const keptCheckpointFinding = (
  kept: KeptCheckpoint,
  origin: string | null,
  seen: ReadonlyMap<number, SeenShard>,
): (SegmentFinding & { shard: number; segment: number }) | undefined => {
  const at = { shard: kept.shard, segment: kept.segment };
  if (origin !== null && kept.origin !== origin)
    return {
      ...at,
      code: "kept_checkpoint_differs",
      message: `${kept.name} was kept for ${kept.origin}, this archive is ${origin}`,
    };
  const shard = seen.get(kept.shard);
  if (shard === undefined || shard.segments === 0)
    return {
      ...at,
      code: "kept_checkpoint_missing",
      message: `shard ${kept.shard} is gone: it held segment ${kept.segment} when ${kept.name} was kept`,
    };
  if (kept.segment >= shard.segments)
    return {
      ...at,
      code: "kept_checkpoint_missing",
      message: `shard ${kept.shard} ends at segment ${shard.segments - 1}, but held segment ${kept.segment} when ${kept.name} was kept: the archive was cut back`,
    };
  const hash = shard.bodyHashes.get(kept.segment);
  // A checkpoint there that does not parse is a finding of its own already.
  if (hash !== undefined && hash !== kept.bodyHash)
    return {
      ...at,
      code: "kept_checkpoint_differs",
      message: `segment ${kept.segment} of shard ${kept.shard} is signed with another history than when ${kept.name} was kept (checkpoint ${hash}, kept ${kept.bodyHash})`,
    };
  return undefined;
};
