/** Renders an offline bundle verification as plain text (`docket audit verify --file`). */
import type { BundleReport } from "../../engine/audit/index.ts";
import { alignColumns } from "./table.ts";

export const renderBundleReport = (report: BundleReport): string => {
  const { counts, header } = report;
  const lines = [
    `Verify bundle: ${report.ok ? "OK" : `FAILED (${counts.failures} failure${counts.failures === 1 ? "" : "s"}, ${counts.jobsFailed} job${counts.jobsFailed === 1 ? "" : "s"})`}`,
    header === null
      ? "  header: missing or malformed"
      : `  ${header.format} v${header.formatVersion}, generated ${header.generatedAt}, machine v${header.machineVersion}, filters: job ${header.filters.jobId ?? "all"}, since ${header.filters.since ?? "the start"}`,
    `  ${counts.lines} lines, ${counts.jobs} jobs, ${counts.events} events read${header === null ? "" : ` (header: ${header.counts.jobs} jobs, ${header.counts.events} events)`}`,
  ];
  if (report.failures.length > 0) {
    lines.push("", "Failures:");
    const rows = [["line", "job", "seq", "code", "message"]];
    for (const f of report.failures)
      rows.push([
        f.line === null ? "-" : String(f.line),
        f.jobId ?? "-",
        f.seq === null ? "-" : String(f.seq),
        f.code,
        f.message,
      ]);
    lines.push(...alignColumns(rows).map((row) => `  ${row}`));
    if (report.truncated)
      lines.push(`  … and ${counts.failures - report.failures.length} more failures, not listed`);
  }
  return `${lines.join("\n")}\n`;
};
