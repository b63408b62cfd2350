/** Renders an explanation as plain text for the CLI (`docket audit explain <jobId>`). */
import type { Explanation } from "../../contract/index.ts";
import { alignColumns } from "./table.ts";

export const renderExplanation = (explanation: Explanation): string => {
  const lines = [
    `Job ${explanation.jobId} (${explanation.jobType || "unknown type"}): ${explanation.status ?? "unknown"}`,
  ];
  if (explanation.integrity !== null)
    lines.push(
      `WARNING: the history is broken at seq ${explanation.integrity.seq} (${explanation.integrity.code}); this account covers only the events before it.`,
    );
  lines.push("", explanation.summary, "");
  for (const sentence of explanation.sentences)
    lines.push(`  ${String(sentence.seq).padStart(3)}  ${sentence.at}  ${sentence.text}`);
  if (explanation.attempts.length > 0) {
    lines.push("", "Attempts:");
    const rows = [["#", "started", "by", "outcome", "error"]];
    for (const a of explanation.attempts)
      rows.push([
        String(a.attempt),
        a.startedAt,
        `${a.startedBy.kind}:${a.startedBy.id}`,
        a.endedAt === null
          ? a.outcome
          : `${a.outcome} after ${Date.parse(a.endedAt) - Date.parse(a.startedAt)} ms`,
        a.error === null
          ? ""
          : `${a.error.code}${a.error.retryable ? "" : " (not retryable)"}: ${a.error.message}`,
      ]);
    lines.push(...alignColumns(rows).map((row) => `  ${row}`));
  }
  return `${lines.join("\n")}\n`;
};
