/** Renders archive verification and inclusion proofs as plain text (`docket audit verify --archive`, `audit prove`). */
import type { ArchiveVerifyReport, JobInclusionProof, LogComparison } from "../../engine/archive/index.ts";
import { alignColumns } from "./table.ts";

/** What a verification with `--witness` did with the kept checkpoints (composition/archive.ts). */
interface WitnessSummary {
  readonly dir: string;
  readonly checked: number;
  readonly kept: ReadonlyArray<{ readonly shard: number; readonly segment: number }>;
}

export const renderArchiveReport = (
  report: ArchiveVerifyReport & { readonly witness?: WitnessSummary },
): string => {
  const segments = report.shards.reduce((sum, s) => sum + s.segments, 0);
  const lines = [
    `Verify archive ${report.location}: ${report.ok ? "OK" : `FAILED (${report.findings.length}${report.truncated ? "+" : ""} finding${report.findings.length === 1 ? "" : "s"})`}`,
    `  checks: signatures, Merkle roots, entry ranges and counts, the chain of checkpoints, every job's hash chain`,
    `  origin ${report.origin ?? "-"}, key id ${report.keyIds.join(" or ") || "-"}`,
    `  ${report.shards.length} shard(s), ${segments} segment(s), ${report.entries} entries, ${report.jobs} jobs`,
  ];
  const { witness } = report;
  if (witness !== undefined)
    lines.push(
      `  witness ${witness.dir}: ${witness.checked} kept checkpoint(s) checked; ${
        witness.kept.length === 0
          ? report.ok
            ? "nothing newer to keep"
            : "nothing kept (the archive did not verify)"
          : `kept ${witness.kept.map((k) => `shard ${k.shard} segment ${k.segment}`).join(", ")}`
      }`,
    );
  if (report.shards.length > 0) {
    lines.push(
      "",
      witness === undefined
        ? "Shards (a dropped last segment shows only against a checkpoint kept earlier: --witness <dir>):"
        : "Shards:",
    );
    const rows = [["shard", "segments", "entries", "last entry", "last checkpoint"]];
    for (const s of report.shards)
      rows.push([
        String(s.shard),
        String(s.segments),
        String(s.entries),
        s.lastEntryId ?? "-",
        s.lastCheckpoint ?? "-",
      ]);
    lines.push(...alignColumns(rows).map((row) => `  ${row}`));
  }
  if (report.findings.length > 0) {
    lines.push("", "Findings:");
    const rows = [["shard", "segment", "code", "message"]];
    for (const f of report.findings)
      rows.push([
        f.shard === null ? "-" : String(f.shard),
        f.segment === null ? "-" : String(f.segment),
        f.history === undefined ? f.code : `${f.code}/${f.history}`,
        f.message,
      ]);
    lines.push(...alignColumns(rows).map((row) => `  ${row}`));
  }
  if (report.undecodableCount > 0)
    lines.push(
      "",
      `Entries with no readable event (kept as the log held them; not failures): ${report.undecodableCount}`,
    );
  return lines.join("\n");
};

export const renderInclusionProof = (proof: JobInclusionProof): string => {
  if (proof.events.length === 0) return `Job ${proof.jobId}: no event of it is in the archive`;
  const lines = [`Job ${proof.jobId}: ${proof.ok ? "every event is in a signed segment" : "NOT PROVEN"}`];
  const rows = [["seq", "type", "entry", "shard/segment", "leaf", "included", "signed"]];
  for (const e of proof.events)
    rows.push([
      e.seq === null ? "-" : String(e.seq),
      e.type ?? "-",
      e.entryId,
      `${e.shard}/${e.segment}`,
      `${e.leafIndex} of ${e.treeSize}`,
      e.included ? "yes" : "NO",
      e.signed === null ? "-" : e.signed ? "yes" : "NO",
    ]);
  lines.push(...alignColumns(rows).map((row) => `  ${row}`));
  lines.push("", "(--json prints each event's line, leaf hash, audit path and signed checkpoint)");
  return lines.join("\n");
};

export const renderLogComparison = (comparison: LogComparison): string => {
  const lines = [
    `Compare with Redis: ${comparison.ok ? "OK" : `FAILED (${comparison.differences.length} segment(s) differ)`}, ${comparison.compared} sealed entries compared${comparison.trimmed > 0 ? `, ${comparison.trimmed} trimmed from Redis (in the archive only)` : ""}`,
  ];
  if (comparison.differences.length > 0) {
    const rows = [["shard", "segment", "entry", "problem"]];
    for (const d of comparison.differences)
      rows.push([String(d.shard), String(d.segment), d.entryId, d.problem]);
    lines.push(...alignColumns(rows).map((row) => `  ${row}`));
  }
  return lines.join("\n");
};
