/**
 * The audit room's face (ADR 0021): the auditor's toolkit — replay, time travel, explain, verify,
 * export and offline verification of a bundle — and the port it reads through (ports.ts).
 * `auditTools(source)` binds them to one AuditSource (the composition root gives it Redis); the
 * pure parts (report builders, the bundle verifier) are exported for direct use. Everything here
 * returns data; the CLI renders it as text (src/cli/render/). The API, the CLI and the
 * composition root import the audit room through this file only; infra imports this file or
 * ports.ts.
 */
import type { JobStatus } from "../../domain/index.ts";
import { exportBundle, type ExportOptions } from "./bundle/export.ts";
import { explainJob } from "./explain.ts";
import type { AuditSource } from "./ports.ts";
import { replayJob } from "./replay.ts";
import { jobsInStatusAt, jobStateAt } from "./time-travel.ts";
import { type VerifyOptions, verifyStore } from "./verify/store.ts";

export type * from "./ports.ts";
export {
  auditEntries,
  type AuditedHistory,
  auditValues,
  type Finding,
  type HistoryCode,
  type StateSummary,
} from "./audited-history.ts";
export * from "./bundle/format.ts";
export { exportBundle, type ExportOptions, headerJobCount } from "./bundle/export.ts";
export {
  type BundleCode,
  type BundleFailure,
  BundleLineTooLong,
  type BundleReport,
  MAX_BUNDLE_FAILURES,
  MAX_BUNDLE_LINE_CHARS,
  splitLines,
  verifyBundle,
} from "./bundle/verify.ts";
export {
  type AttemptRecord,
  explain,
  explainJob,
  type Explanation,
  type Sentence,
  type SentenceKind,
} from "./explain.ts";
export { replayJob, replayReportOf, type ReplayedEvent, type ReplayReport } from "./replay.ts";
export {
  jobsInStatusAt,
  type JobsInStatusAt,
  jobStateAt,
  parseInstant,
  ScanLimitExceeded,
  stateAt,
  type StateAt,
} from "./time-travel.ts";
export type * from "./verify/report.ts";
export { describeProjectionDifferences } from "./verify/report.ts";
export { verifyStore, type VerifyOptions } from "./verify/store.ts";

/** The audit functions bound to one store. Each `null` means "the store knows no such job". */
export const auditTools = (source: AuditSource) => ({
  replay: (jobId: string) => replayJob(source, jobId),
  stateAt: (jobId: string, atMs: number) => jobStateAt(source, jobId, atMs),
  jobsInStatusAt: (status: JobStatus, atMs: number, options?: { readonly maxEntries?: number }) =>
    jobsInStatusAt(source, status, atMs, options),
  explain: (jobId: string) => explainJob(source, jobId),
  verify: (options?: VerifyOptions) => verifyStore(source, options),
  exportBundle: (options: ExportOptions) => exportBundle(source, options),
});
export type AuditTools = ReturnType<typeof auditTools>;
