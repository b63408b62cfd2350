/**
 * The archive's typed errors (ADR 0028): what an ArchiveStore refuses and why, and what the
 * archive reader finds wrong with a segment. The archiver handles each by `_tag`: SegmentExists
 * and FencedOut mean another archiver is (or was) active, ArchiveUnavailable pauses archiving
 * until the medium takes writes again. ArchiveCorrupt means the archive cannot be trusted for
 * that segment: readers fail loudly rather than serve history the signature does not cover.
 */
import * as Data from "effect/Data";
import type { ArchiveFindingCode } from "./check-segment.ts";

/** The segment was committed already (by another archiver, or by this one before a crash). */
export class SegmentExists extends Data.TaggedError("SegmentExists")<{
  readonly shard: number;
  readonly segment: number;
}> {
  override get message(): string {
    return `segment ${this.segment} of shard ${this.shard} is archived already`;
  }
}

/** A later lease term has written to this shard: this writer is stale and must stop. */
export class FencedOut extends Data.TaggedError("FencedOut")<{
  readonly shard: number;
  readonly fence: number;
  readonly newer: number;
}> {
  override get message(): string {
    return `fencing token ${this.fence} is stale: shard ${this.shard} holds a checkpoint written with token ${this.newer}`;
  }
}

/** The archive refused a write: full, read-only, missing, not a directory… (`code`: errno name). */
export class ArchiveUnavailable extends Data.TaggedError("ArchiveUnavailable")<{
  readonly code: string;
  readonly message: string;
}> {}

/**
 * A segment that does not check out against its signed checkpoint (`code`: the finding verify
 * names, e.g. root_mismatch, signature_invalid, unknown_key, origin_mismatch), or that the
 * archive lists and cannot give back (segment_unreadable).
 */
export class ArchiveCorrupt extends Data.TaggedError("ArchiveCorrupt")<{
  readonly code: ArchiveFindingCode;
  readonly shard: number;
  readonly segment: number;
  readonly message: string;
}> {}
