/**
 * The auditor's toolkit: replay, time travel, explain, verify, export and offline verification.
 * `auditTools(source)` binds them to one AuditSource (the composition root gives it Redis); the
 * pure parts (report builders, renderers, the bundle verifier) are exported for direct use.
 */
import type { JobStatus } from "../../domain/index.ts";
import { exportBundle, type ExportOptions } from "./bundle-writer.ts";
import { explainJob } from "./explain-job.ts";
import type { AuditSource } from "./ports.ts";
import { replayJob } from "./replay-report.ts";
import { jobsInStatusAt, jobStateAt } from "./time-travel.ts";
import { type VerifyOptions, verifyStore } from "./verify.ts";

export type { AuditedHistory, Finding, HistoryCode } from "./audited-history.ts";
export { auditEntries, auditValues } from "./audited-history.ts";
export * from "./bundle-format.ts";
export { renderBundleReport } from "./bundle-text.ts";
export {
  type BundleCode,
  type BundleFailure,
  type BundleReport,
  splitLines,
  verifyBundle,
} from "./bundle-verifier.ts";
export { exportBundle, type ExportOptions, headerJobCount } from "./bundle-writer.ts";
export {
  explain,
  type AttemptRecord,
  type Explanation,
  type Sentence,
  type SentenceKind,
} from "./explain.ts";
export { explainJob } from "./explain-job.ts";
export { renderExplanation } from "./explain-text.ts";
export type { AuditSource, JobLocation, RawHead, RawJobEntry, RawLogEntry } from "./ports.ts";
export { replayJob, replayReportOf, type ReplayedEvent, type ReplayReport } from "./replay-report.ts";
export { describeProjectionDifferences } from "./projection-differences.ts";
export { renderReplay, type ReplayTextOptions } from "./replay-text.ts";
export { renderStateAt } from "./state-at-text.ts";
export type { StateSummary } from "./state-summary.ts";
export {
  jobsInStatusAt,
  jobStateAt,
  parseInstant,
  ScanLimitExceeded,
  stateAt,
  type JobsInStatusAt,
  type StateAt,
} from "./time-travel.ts";
export { verifyStore, type VerifyOptions } from "./verify.ts";
export type * from "./verify-report.ts";
export { renderVerifyReport } from "./verify-text.ts";

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
