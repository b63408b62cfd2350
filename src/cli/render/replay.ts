/** Renders a replay report as plain aligned text for the CLI (`docket audit replay <jobId>`). */
import type { ReplayReport, StateSummary } from "../../contract/index.ts";
import { alignColumns, oneLineJson } from "./table.ts";

export interface ReplayTextOptions {
  /** Cut each event's data to this many characters (0 = print it whole). Default 120. */
  readonly maxDataChars?: number;
}

const stateCell = (state: StateSummary): string => {
  const parts = [state.status, `attempt ${state.attempt}/${state.maxAttempts}`];
  if (state.dueAt !== null) parts.push(`due ${state.dueAt}`);
  return parts.join("  ");
};

/**
 * What the chain was anchored at: the head in Redis, or — for a job that has left Redis (its
 * history ends in JobEvicted and it has no head) — the archive it was read from, each segment
 * checked against its signed checkpoint (ADR 0034: the answer says which tier it came from).
 */
const anchoring = (report: ReplayReport): string =>
  report.anchor !== null
    ? ` and anchored at the head (seq ${report.anchor.version})`
    : report.events.at(-1)?.type === "JobEvicted"
      ? "; the job has left Redis: read from the archive, each segment checked against its signed checkpoint"
      : " (no head to anchor it)";

export const renderReplay = (report: ReplayReport, options: ReplayTextOptions = {}): string => {
  const maxData = options.maxDataChars ?? 120;
  const verdict = report.ok
    ? `OK: ${report.events.length} events, chain verified${anchoring(report)}`
    : `FAILED at seq ${report.failure?.seq}: ${report.failure?.code}`;
  const rows: Array<Array<string>> = [["seq", "at", "actor", "type", "state after"]];
  for (const e of report.events)
    rows.push([String(e.seq), e.at, `${e.actor.kind}:${e.actor.id}`, e.type, stateCell(e.state)]);
  const table = alignColumns(rows);
  const lines = [`Job ${report.jobId}: replay ${verdict}`, "", table[0] ?? ""];
  report.events.forEach((e, i) => {
    lines.push(table[i + 1] ?? "");
    lines.push(`      data ${oneLineJson(e.data, maxData)}`);
  });
  if (report.failure !== null) {
    lines.push("");
    lines.push(`First bad event: seq ${report.failure.seq} (${report.failure.code})`);
    lines.push(`  ${report.failure.message}`);
    if (report.storedEvents > report.events.length)
      lines.push(
        `  ${report.storedEvents - report.events.length} stored event(s) from there on not replayed`,
      );
  }
  if (report.final !== null) {
    lines.push("");
    lines.push(`Final state: ${stateCell(report.final)}`);
    if (report.final.lastError !== null)
      lines.push(
        `  last error: ${report.final.lastError.code}: ${report.final.lastError.message}${report.final.lastError.retryable ? "" : " (not retryable)"}`,
      );
  }
  return `${lines.join("\n")}\n`;
};
