/** `docket audit export`: an audit bundle (NDJSON) to stdout or a file, streamed. */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { type Command, stringOption } from "../../command.ts";
import { describeDeployment, DIRECT, instantArg, SOURCE_DETAILS, withReader } from "./reader.ts";

const write = async (out: NodeJS.WritableStream, chunk: string | Uint8Array): Promise<void> => {
  if (!out.write(chunk)) await once(out, "drain");
};

const newlines = (chunk: string | Uint8Array): number => {
  let count = 0;
  if (typeof chunk === "string") {
    for (let i = chunk.indexOf("\n"); i !== -1; i = chunk.indexOf("\n", i + 1)) count++;
  } else for (const byte of chunk) if (byte === 0x0a) count++;
  return count;
};

export const exportCommand: Command = {
  name: "audit export",
  summary: "Write an audit bundle (NDJSON, docs/audit-bundle.md) to stdout or a file, streaming.",
  options: {
    job: { type: "string", description: "export only this job" },
    since: {
      type: "string",
      description: "only jobs with an event at or after this time (ISO 8601 or epoch ms)",
    },
    out: { type: "string", description: "write to this file instead of stdout" },
    ...DIRECT,
  },
  details: `Verify the bundle anywhere with \`docket audit verify --file <bundle>\`. --json has no effect
(the bundle is NDJSON). What was exported, and from where, is said on stderr.\n\n${SOURCE_DETAILS}`,
  run: async (context) => {
    const jobId = stringOption(context, "job");
    const since = stringOption(context, "since");
    const sinceMs = since === undefined ? undefined : await instantArg(since, "--since");
    const path = stringOption(context, "out");
    return withReader(context, async (reader) => {
      const chunks = reader.exportBundle({
        ...(jobId === undefined ? {} : { jobId }),
        ...(sinceMs === undefined ? {} : { sinceMs }),
      });
      let out: NodeJS.WritableStream | undefined;
      let lines = 0;
      for await (const chunk of chunks) {
        // Opened at the first chunk: an unknown job or an API error leaves no empty file behind.
        out ??= path === undefined ? process.stdout : createWriteStream(path);
        await write(out, chunk);
        lines += newlines(chunk);
      }
      if (path !== undefined && out !== undefined) {
        out.end();
        await once(out, "finish");
      }
      const events = Math.max(0, lines - 1);
      process.stderr.write(
        `docket audit export: ${events} events from ${describeDeployment(reader.deployment)}${path === undefined ? "" : ` to ${path}`}\n`,
      );
      return 0;
    });
  },
};
