/**
 * Typed errors of the read side. The projector retries what may pass (Redis or the disk was
 * unavailable) and halts on what cannot (the log holds something it must not skip), because
 * skipping an entry would break "the projection equals the fold of the log".
 */
import * as Data from "effect/Data";

/**
 * A shard log entry could not be decoded into an envelope, and it is not quarantined (or it was,
 * but holds other content now). The projector halts on it; an operator may quarantine it.
 */
export class LogEntryInvalid extends Data.TaggedError("LogEntryInvalid")<{
  readonly shard: number;
  readonly entryId: string;
  readonly reason: string;
}> {
  override get message(): string {
    return `shard ${this.shard} log entry ${this.entryId} is not a valid event: ${this.reason}; skip it with \`docket projections quarantine ${this.shard} ${this.entryId} --reason …\` (POST /v1/projections/quarantine) once you know what it is`;
  }
}

/** A quarantine was asked for an entry the shard log does not hold (or a shard that does not exist). */
export class LogEntryNotFound extends Data.TaggedError("LogEntryNotFound")<{
  readonly shard: number;
  readonly entryId: string;
  /** The deployment's shard count, when `shard` is not below it. */
  readonly shards?: number;
}> {
  override get message(): string {
    return this.shards === undefined
      ? `shard ${this.shard} log has no entry ${this.entryId}`
      : `there is no shard ${this.shard} (shards are 0 to ${this.shards - 1})`;
  }
}

/**
 * A quarantine was asked for an entry that decodes into a valid event: refused, because skipping
 * it would hide a real job event from every projection.
 */
export class LogEntryValid extends Data.TaggedError("LogEntryValid")<{
  readonly shard: number;
  readonly entryId: string;
  readonly jobId: string;
  readonly seq: number;
}> {
  override get message(): string {
    return `shard ${this.shard} log entry ${this.entryId} is a valid event (job ${this.jobId} seq ${this.seq}); only entries that do not decode may be quarantined`;
  }
}

/** The entry is quarantined already (by whom and when is in the record). */
export class AlreadyQuarantined extends Data.TaggedError("AlreadyQuarantined")<{
  readonly shard: number;
  readonly entryId: string;
  readonly actor: string;
  readonly at: string;
}> {
  override get message(): string {
    return `shard ${this.shard} log entry ${this.entryId} was already quarantined by ${this.actor} at ${this.at}`;
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

/**
 * The projection is busy: its file is owned (exclusively locked) by another process, e.g. a
 * running API; or, with `running`, this process is already running a rebuild or check on it.
 */
export class ProjectionBusy extends Data.TaggedError("ProjectionBusy")<{
  readonly path: string;
  /** The rebuild or check in progress in this process. */
  readonly running?: string;
}> {
  override get message(): string {
    return this.running === undefined
      ? `${this.path} is in use by another process (a running API owns it); ask that process to rebuild or check`
      : `a projection ${this.running} is running; try again when it has finished`;
  }
}

/** Errors that retrying cannot cure: the projector halts and reports them. */
export const isPermanentProjectionError = (
  error: unknown,
): error is LogEntryInvalid | ProjectionDiverged | ProjectionLogMismatch =>
  error instanceof LogEntryInvalid ||
  error instanceof ProjectionDiverged ||
  error instanceof ProjectionLogMismatch;
