/** Renders a job's state at a time as plain text for the CLI (`docket audit at <jobId> <time>`). */
import type { StateAt } from "../../contract/index.ts";
import { alignColumns, oneLineJson } from "./table.ts";

export const renderStateAt = (answer: StateAt): string => {
  const lines = [`Job ${answer.jobId} as of ${answer.asOf}:`];
  if (!answer.existed || answer.state === null) {
    lines.push(
      answer.failure === null
        ? "  did not exist yet (its first event is later)"
        : `  unknown: the history is broken at seq ${answer.failure.seq} (${answer.failure.code})`,
    );
  } else {
    const { state } = answer;
    const rows = [
      ["status", state.status],
      ["after", `seq ${answer.seq} (${answer.eventAt})`],
      ["attempt", `${state.attempt} of ${state.maxAttempts}`],
    ];
    if (state.dueAt !== null) rows.push(["due", state.dueAt]);
    if (state.progress !== null)
      rows.push([
        "progress",
        `${state.progress.current}/${state.progress.total}${state.progress.message === undefined ? "" : ` ${state.progress.message}`}`,
      ]);
    if (state.lastError !== null)
      rows.push([
        "last error",
        `${state.lastError.code}: ${state.lastError.message}${state.lastError.retryable ? "" : " (not retryable)"}`,
      ]);
    if (state.result !== null) rows.push(["result", oneLineJson(state.result, 200)]);
    lines.push(...alignColumns(rows).map((row) => `  ${row}`));
  }
  if (answer.failure !== null && answer.existed)
    lines.push(
      "",
      `WARNING: the history is broken at seq ${answer.failure.seq} (${answer.failure.code}): ${answer.failure.message}`,
      "  the state shown is the last one that can be trusted, which may be earlier than asked.",
    );
  return `${lines.join("\n")}\n`;
};
