/**
 * Why history that left Redis (ADR 0034) cannot be read back from the archive, as tagged errors
 * the API maps to one status and code each (src/api/errors.ts): the process was given no archive
 * (ArchiveNeeded), the key it checks the archive with cannot be read or used (ArchiveKeyUnusable),
 * or the archive holds less than Redis records as archived (ArchiveBehind: the wrong directory,
 * or its last segments are gone). A segment that does not check out against its
 * signed checkpoint is the archive room's ArchiveCorrupt. None of them is ever answered with part
 * of the history.
 */
import * as Data from "effect/Data";

/** The archive holds entries a read needs, and this process was given none. */
export class ArchiveNeeded extends Data.TaggedError("ArchiveNeeded")<{
  readonly shard: number;
  readonly what: string;
}> {
  override get message(): string {
    return `shard ${this.shard}'s log was trimmed into the archive (${this.what}); give this process the archive directory (DOCKET_ARCHIVE_DIR) to read it`;
  }
}

/** Redis records the shard as archived through `archivedThrough`; the archive holds less. */
export class ArchiveBehind extends Data.TaggedError("ArchiveBehind")<{
  readonly shard: number;
  readonly archivedThrough: string;
  /** The archive's last entry id for the shard ("0-0": it holds none). */
  readonly holds: string;
}> {
  override get message(): string {
    return `shard ${this.shard}'s log is archived through ${this.archivedThrough}, but the archive holds entries only through ${this.holds}: is DOCKET_ARCHIVE_DIR this deployment's archive, and are its last segments there?`;
  }
}

/** The key this process checks the archive's signatures with cannot be read or used. */
export class ArchiveKeyUnusable extends Data.TaggedError("ArchiveKeyUnusable")<{
  readonly reason: string;
}> {
  override get message(): string {
    return `the archive cannot be read: its key is unusable (${this.reason})`;
  }
}
