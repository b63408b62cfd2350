/** `docket audit replay|at|explain`: one job's history, checked, as of a time, or told in words. */
import { type Command, requirePositional } from "../../command.ts";
import { renderExplanation } from "../../render/explain.ts";
import { renderReplay } from "../../render/replay.ts";
import { renderStateAt } from "../../render/time-travel.ts";
import { DIRECT, instantArg, printReport, SOURCE_DETAILS, withReader } from "./reader.ts";

export const replay: Command = {
  name: "audit replay",
  summary: "Replay a job's stored events with the state after each; exit 1 naming the first bad event.",
  args: "<jobId>",
  options: {
    full: { type: "boolean", description: "print each event's data whole (default: cut at 120)" },
    ...DIRECT,
  },
  details: SOURCE_DETAILS,
  run: async (context) => {
    const jobId = requirePositional(context, 0, "<jobId>");
    return withReader(context, async (reader) => {
      const report = await reader.replay(jobId);
      printReport(context, reader.deployment, report, (r) =>
        renderReplay(r, context.values.full === true ? { maxDataChars: 0 } : {}),
      );
      return report.ok ? 0 : 1;
    });
  },
};

export const at: Command = {
  name: "audit at",
  summary: "A job's state as it was at a time (ISO 8601 or epoch ms), folded from its events.",
  args: "<jobId> <time>",
  options: DIRECT,
  details: `Before the job's first event it says the job did not exist yet (exit 0). A broken
history before that time prints the last trustworthy state and exits 1.\n\n${SOURCE_DETAILS}`,
  run: async (context) => {
    const jobId = requirePositional(context, 0, "<jobId>");
    const atMs = await instantArg(requirePositional(context, 1, "<time>"), "<time>");
    return withReader(context, async (reader) => {
      const answer = await reader.stateAt(jobId, atMs);
      printReport(context, reader.deployment, answer, renderStateAt);
      return answer.failure === null ? 0 : 1;
    });
  },
};

export const explain: Command = {
  name: "audit explain",
  summary: "A plain-language account of why a job ended where it did.",
  args: "<jobId>",
  options: DIRECT,
  details: `Attempts and their errors, timeouts, reclaimed leases, who retried or cancelled it and why.
Exits 1 when the history is broken (the account then stops at the first bad event).\n\n${SOURCE_DETAILS}`,
  run: async (context) => {
    const jobId = requirePositional(context, 0, "<jobId>");
    return withReader(context, async (reader) => {
      const explanation = await reader.explain(jobId);
      printReport(context, reader.deployment, explanation, renderExplanation);
      return explanation.integrity === null ? 0 : 1;
    });
  },
};
