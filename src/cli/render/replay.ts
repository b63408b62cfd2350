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

export const renderReplay = (report: ReplayReport, options: ReplayTextOptions = {}): string => {
  const maxData = options.maxDataChars ?? 120;
  const verdict = report.ok
    ? `OK: ${report.events.length} events, chain verified${report.anchor === null ? " (no head to anchor it)" : ` and anchored at the head (seq ${report.anchor.version})`}`
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
