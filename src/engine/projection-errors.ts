/**
 * Typed errors of the read side. The projector retries what may pass (Redis or the disk was
 * unavailable) and halts on what cannot (the log holds something it must not skip), because
 * skipping an entry would break "the projection equals the fold of the log".
 */
import * as Data from "effect/Data";

/** A shard log entry could not be decoded into an envelope. */
export class LogEntryInvalid extends Data.TaggedError("LogEntryInvalid")<{
  readonly shard: number;
  readonly entryId: string;
  readonly reason: string;
}> {
  override get message(): string {
    return `shard ${this.shard} log entry ${this.entryId} is not a valid event: ${this.reason}`;
  }
}

/**
 * An event does not continue its job's chain as projected (a gap, a repeat, a fork): the
 * projection and the log disagree, so applying more would make the projection wrong.
 */
export class ProjectionDiverged extends Data.TaggedError("ProjectionDiverged")<{
  readonly shard: number;
  readonly entryId: string;
  readonly jobId: string;
  readonly reason: string;
}> {
  override get message(): string {
    return `shard ${this.shard} entry ${this.entryId} (job ${this.jobId}): ${this.reason}; rebuild the projection`;
  }
}

/**
 * The log no longer holds the event the projection last applied (or holds another one there):
 * Redis lost or replaced its data since. Carrying on would mix two histories in one projection.
 */
export class ProjectionLogMismatch extends Data.TaggedError("ProjectionLogMismatch")<{
  readonly shard: number;
  readonly entryId: string;
  readonly reason: string;
}> {
  override get message(): string {
    return `shard ${this.shard}: the projection's checkpoint ${this.entryId} ${this.reason}; the log was lost or replaced since, so rebuild the projection from it`;
  }
}

/** A list cursor that this projection did not hand out. */
export class InvalidCursor extends Data.TaggedError("InvalidCursor")<{ readonly cursor: string }> {
  override get message(): string {
    return "the cursor is not one this API handed out";
  }
}

/** The projection file is owned (exclusively locked) by another process, e.g. a running API. */
export class ProjectionBusy extends Data.TaggedError("ProjectionBusy")<{ readonly path: string }> {
  override get message(): string {
    return `${this.path} is in use by another process (a running API owns it); ask that process to rebuild or check`;
  }
}

/** Errors that retrying cannot cure: the projector halts and reports them. */
export const isPermanentProjectionError = (
  error: unknown,
): error is LogEntryInvalid | ProjectionDiverged | ProjectionLogMismatch =>
  error instanceof LogEntryInvalid ||
  error instanceof ProjectionDiverged ||
  error instanceof ProjectionLogMismatch;
