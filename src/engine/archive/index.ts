/**
 * The archive room's face (ADR 0028, 0029): the archiver that seals the shard logs into signed
 * segments, the reader that serves verified history back out of them, offline verification of
 * an archive, inclusion proofs for one job, the typed errors an archive store or reader raises,
 * and the ports (ports.ts) infra implements. The CLI and the composition root import the archive
 * room through this file only; infra imports this file or ports.ts.
 */
export type * from "./ports.ts";
export { ArchiveReader, type ArchiveReaderOptions } from "./archive-reader.ts";
export {
  Archiver,
  type ArchiverOptions,
  type ArchiverState,
  type ArchiverStatus,
  SEGMENT_MAX_CHARS,
} from "./archiver.ts";
export { compareArchiveWithLog, type LogComparison, type LogDifference } from "./compare-log.ts";
export { ArchiveCorrupt, ArchiveUnavailable, FencedOut, SegmentExists } from "./errors.ts";
export { type EventInclusion, type JobInclusionProof, proveJob } from "./prove.ts";
export {
  DEFAULT_RETENTION,
  type PurgeableStatus,
  Retention,
  type RetentionOptions,
  type RetentionPolicy,
} from "./retention.ts";
export { emptyProgress, progressAfter, type ShardProgress, sealSegment } from "./seal.ts";
export {
  type ArchiveFinding,
  type ArchiveFindingCode,
  type ArchiveShardSummary,
  type ArchiveVerifyReport,
  verifyArchive,
  type VerifyArchiveOptions,
} from "./verify-archive.ts";
export { type KeptCheckpoint, keptCheckpointOf } from "./witness.ts";
