/**
 * The read room's face (ADR 0021): the projection of the shard logs into SQLite read models —
 * the projector, the read side a process hosts (rebuild, check, quarantine), a job's view folded
 * from its events — and the ports it needs (ports.ts). Other rooms, the API, the CLI and the
 * composition root import the read room through this file only; infra imports this file or
 * ports.ts.
 */
export type * from "./ports.ts";
export { ArchiveBehind, ArchiveKeyUnusable, ArchiveNeeded } from "./archive-errors.ts";
export { jobLogOf, type JobLogLine, JobLogReader } from "./job-log.ts";
export { type JobView, applyToView, viewOf } from "./job-view.ts";
export { compareEntryIds, entryDigest } from "./log-entries.ts";
export type { Position, ShardLag } from "./log-positions.ts";
export { projectBatch } from "./projection.ts";
export {
  AlreadyQuarantined,
  InvalidCursor,
  LogEntryInvalid,
  LogEntryNotFound,
  LogEntryValid,
  ProjectionBusy,
  ProjectionDiverged,
  ProjectionLogMismatch,
} from "./projection-errors.ts";
export { type AppliedListener, Projector, type ProjectorOptions } from "./projector.ts";
export type {
  HaltingError,
  ProjectorCounters,
  ProjectorState,
  ProjectorStateChange,
  ProjectorStatus,
} from "./projector-status.ts";
export type { QuarantineRequest } from "./quarantine.ts";
export {
  type CheckReport,
  type ProjectorControl,
  ReadSide,
  type ReadSideOptions,
  type RebuildReport,
} from "./read-side.ts";
