/** Renders a verification report as plain text for the CLI (`docket audit verify`). */
import type { VerifyReport } from "../../contract/index.ts";
import { alignColumns } from "./table.ts";

export const renderVerifyReport = (
  report: VerifyReport,
  options: { readonly maxNotices?: number } = {},
): string => {
  const { counts } = report;
  const scope = report.scope.jobId === null ? "the whole log" : `job ${report.scope.jobId}`;
  const lines = [
    `Verify ${scope}${report.scope.drained ? " (drained)" : ""}: ${report.ok ? "OK" : `FAILED (${counts.failures} failure${counts.failures === 1 ? "" : "s"} in ${counts.jobsFailed} job${counts.jobsFailed === 1 ? "" : "s"})`}`,
    `  checks: ${report.checks.join(", ")}`,
    ...report.skipped.map((s) => `  SKIPPED ${s.check}: ${s.reason}`),
    `  ${counts.jobs} jobs, ${counts.events} events, ${counts.logEntries} shard-log entries, ${counts.shards} shard${counts.shards === 1 ? "" : "s"}${counts.quarantined > 0 ? `, ${counts.quarantined} quarantined` : ""}`,
    `  by status: ${
      Object.entries(counts.byStatus)
        .map(([status, n]) => `${status} ${n}`)
        .join(", ") || "none"
    }`,
  ];
  if (report.failures.length > 0) {
    lines.push("", "Failures:");
    const rows = [["job", "seq", "check", "code", "message"]];
    for (const f of report.failures)
      rows.push([f.jobId ?? "-", f.seq === null ? "-" : String(f.seq), f.check, f.code, f.message]);
    lines.push(...alignColumns(rows).map((row) => `  ${row}`));
  }
  if (report.quarantined.length > 0) {
    lines.push("", "Quarantined shard-log entries (undecodable, skipped by the projections):");
    const rows = [["shard", "entry", "job", "by", "at", "reason", "problem"]];
    for (const q of report.quarantined)
      rows.push([String(q.shard), q.entryId, q.jobId ?? "-", q.actor.id, q.at, q.reason, q.problem]);
    lines.push(...alignColumns(rows).map((row) => `  ${row}`));
  }
  const maxNotices = options.maxNotices ?? 20;
  if (report.notices.length > 0) {
    lines.push("", `Notices (${report.notices.length}, not failures):`);
    for (const n of report.notices.slice(0, maxNotices)) lines.push(`  ${n.jobId}: ${n.message}`);
    if (report.notices.length > maxNotices) lines.push(`  … and ${report.notices.length - maxNotices} more`);
  }
  return `${lines.join("\n")}\n`;
};
