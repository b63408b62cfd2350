/**
 * `docket audit verify`: the whole log, one job, (`--file`) an exported bundle offline, or
 * (`--archive`) a sealed archive offline (archive.ts).
 */
import { once } from "node:events";
import { createReadStream, type Stats, statSync } from "node:fs";
import { type Command, type CommandContext, stringOption, UsageError } from "../../command.ts";
import { renderBundleReport } from "../../render/bundle.ts";
import { renderVerifyReport } from "../../render/verify.ts";
import { ARCHIVE_VERIFY_OPTIONS, verifyArchiveFromCli } from "./archive.ts";
import { DIRECT, printReport, SOURCE_DETAILS, tools, withReader } from "./reader.ts";

const verifyFile = async (context: CommandContext, file: string): Promise<number> => {
  for (const flag of ["job", "drained", "offline-projection", "direct"])
    if (context.values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to --file`);
  // A path that names nothing to read is a usage error (exit 2), as for --archive and --key; a
  // pipe is fine (`--file <(docket audit export)`).
  let stats: Stats;
  try {
    stats = statSync(file);
  } catch (error) {
    throw new UsageError(`--file: cannot open ${file}: ${(error as Error).message}`);
  }
  if (stats.isDirectory())
    throw new UsageError(
      `--file: ${file} is a directory; --file takes an exported bundle (an archive directory: --archive ${file})`,
    );
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
    ...ARCHIVE_VERIFY_OPTIONS,
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
    const archive = stringOption(context, "archive");
    if (archive !== undefined) return verifyArchiveFromCli(context, archive);
    for (const flag of ["witness", "compare-redis", "key"])
      if (context.values[flag] !== undefined) throw new UsageError(`--${flag} applies only to --archive`);
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
