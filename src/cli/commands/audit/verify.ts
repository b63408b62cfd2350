/** `docket audit verify`: the whole log, one job, or (`--file`) an exported bundle offline. */
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { type Command, type CommandContext, stringOption, UsageError } from "../../command.ts";
import { renderBundleReport } from "../../render/bundle.ts";
import { renderVerifyReport } from "../../render/verify.ts";
import { DIRECT, printReport, SOURCE_DETAILS, tools, withReader } from "./reader.ts";

const verifyFile = async (context: CommandContext, file: string): Promise<number> => {
  for (const flag of ["job", "drained", "offline-projection", "direct"])
    if (context.values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to --file`);
  const { splitLines, verifyBundle } = await tools();
  const stream = createReadStream(file);
  const opened = once(stream, "open");
  opened.catch(() => {});
  await opened;
  const report = await verifyBundle(splitLines(stream));
  printReport(context, { via: "file", path: file }, report, renderBundleReport);
  return report.ok ? 0 : 1;
};

export const verify: Command = {
  name: "audit verify",
  summary: "Verify the event log (or one job, or a bundle file); exit 1 on any failure.",
  options: {
    job: { type: "string", description: "verify only this job" },
    drained: { type: "boolean", description: "the system has drained: every job must be terminal" },
    file: {
      type: "string",
      description: "verify an exported bundle offline (no API, no Redis, no database)",
    },
    ...DIRECT,
    "offline-projection": {
      type: "boolean",
      description: "with --direct and no API running: open DOCKET_DB to compare the projection",
    },
  },
  details: `Checks seq contiguity, hash chains, the legality of every transition, heads, that every
event is exactly once in its shard log and vice versa, invariants 3, 5 and 9, and (whole log only)
that the SQLite projection equals the fold of the log. Through the API, the API compares its own
projection. With --direct the projection is compared by the running API (POST
/v1/projections/check) or, with --offline-projection, by opening DOCKET_DB here; if neither is
possible the report says the check was SKIPPED.

${SOURCE_DETAILS}`,
  run: async (context) => {
    const file = stringOption(context, "file");
    if (file !== undefined) return verifyFile(context, file);
    if (context.values["offline-projection"] === true && context.values.direct !== true)
      throw new UsageError(
        "--offline-projection needs --direct (through the API, the API compares its projection)",
      );
    const jobId = stringOption(context, "job");
    const drained = context.values.drained === true;
    return withReader(context, async (reader) => {
      const report = await reader.verify({ ...(jobId === undefined ? {} : { jobId }), drained });
      printReport(context, reader.deployment, report, renderVerifyReport);
      return report.ok ? 0 : 1;
    });
  },
};
