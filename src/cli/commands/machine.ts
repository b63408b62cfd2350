/** `docket machine`: the job lifecycle machine, for people writing their own models. */
import { type Command, stringOption, UsageError } from "../command.ts";

export const machineCommand: Command = {
  name: "machine",
  summary: "Print the job lifecycle machine (states, events, guarded transitions).",
  options: { format: { type: "string", description: "mermaid (default) | json" } },
  run: async (context) => {
    const format = stringOption(context, "format") ?? (context.json ? "json" : "mermaid");
    const { describeMachine, machineToMermaid } = await import("../../domain/index.ts");
    if (format === "json") process.stdout.write(`${JSON.stringify(describeMachine(), null, 2)}\n`);
    else if (format === "mermaid") process.stdout.write(machineToMermaid());
    else throw new UsageError(`--format must be mermaid or json, got ${JSON.stringify(format)}`);
    return 0;
  },
};
