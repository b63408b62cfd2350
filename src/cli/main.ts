/**
 * `docket`: the command-line entry point. `docket --help` lists the commands; every command
 * has `--help` and `--json`. Exit codes: 0 success, 1 failure (a job or a check failed, or an
 * API error), 2 usage or configuration error.
 */
import { DocketApiError } from "../client/docket-client.ts";
import { type Command, runCommand } from "./command.ts";
import { auditCommands } from "./commands/audit.ts";
import { jobCommands } from "./commands/jobs.ts";
import { machineCommand } from "./commands/machine.ts";
import { projectionCommands } from "./commands/projections.ts";
import { apiCommand, startCommand } from "./commands/serve.ts";
import { workerCommand } from "./commands/worker.ts";
import { ConfigError } from "./config.ts";

const COMMANDS: ReadonlyArray<Command> = [
  startCommand,
  apiCommand,
  workerCommand,
  ...jobCommands,
  ...projectionCommands,
  ...auditCommands,
  machineCommand,
];

const overview = (): string => {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "docket — an event-sourced job engine",
    "",
    "Usage: docket <command> [options]      (docket <command> --help for its options)",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    'Configuration: environment variables (README "Configuration"): REDIS_URL, DOCKET_DB, PORT,',
    "DOCKET_API_TOKEN, DOCKET_API_TOKENS, DOCKET_API_URL, DOCKET_PREFIX, DOCKET_SHARDS, DOCKET_LEASE_MS.",
  ].join("\n");
};

/** The command whose name matches the most leading words of argv. */
const findCommand = (
  argv: ReadonlyArray<string>,
): { command: Command; rest: ReadonlyArray<string> } | null => {
  let best: { command: Command; rest: ReadonlyArray<string> } | null = null;
  for (const command of COMMANDS) {
    const words = command.name.split(" ");
    if (
      words.every((word, i) => argv[i] === word) &&
      (best === null || words.length > best.command.name.split(" ").length)
    )
      best = { command, rest: argv.slice(words.length) };
  }
  return best;
};

export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    process.stdout.write(`${overview()}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv);
  if (found === null) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
    if (group.length > 0) {
      process.stdout.write(
        [`docket ${argv[0]} <command>`, "", ...group.map((c) => `  ${c.name}  ${c.summary}`)].join("\n") +
          "\n",
      );
      return argv.includes("--help") || argv.includes("-h") ? 0 : 2;
    }
    process.stderr.write(`docket: unknown command ${JSON.stringify(argv.join(" "))}\n\n${overview()}\n`);
    return 2;
  }
  try {
    return await runCommand(found.command, found.rest);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`docket: ${error.message}\n`);
      return 2;
    }
    if (error instanceof DocketApiError) {
      if (argv.includes("--json"))
        process.stdout.write(
          `${JSON.stringify({ error: { code: error.code, message: error.message, ...error.details } }, null, 2)}\n`,
        );
      process.stderr.write(`docket ${found.command.name}: ${error.code}: ${error.message}\n`);
      return 1;
    }
    // fetch() fails with a bare TypeError("fetch failed") whose cause says why.
    if (error instanceof TypeError && error.message === "fetch failed") {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      process.stderr.write(
        `docket ${found.command.name}: the API does not answer (${cause?.code ?? cause?.message ?? "no reply"}); is \`docket start\` or \`docket api\` running? (DOCKET_API_URL)\n`,
      );
      return 1;
    }
    process.stderr.write(
      `docket ${found.command.name}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
};
