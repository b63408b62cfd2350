/**
 * The archive's typed errors (ADR 0028): what an ArchiveStore refuses and why. The archiver
 * handles each by `_tag`: SegmentExists and FencedOut mean another archiver is (or was) active,
 * ArchiveUnavailable pauses archiving until the medium takes writes again.
 */
import * as Data from "effect/Data";

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
