/**
 * `docket`: the command-line entry point. `docket --help` lists the commands; every command
 * has `--help` and `--json`. Exit codes (ADR 0020): 0 success, 1 failure (a job or a check
 * failed, an API error, Redis unreachable), 2 usage or configuration error (including a value
 * the API refuses as invalid, HTTP 400, and a password Redis refuses); 141 when stdout closes
 * early (`docket … | head`, bin/docket.js).
 */
import { readFileSync } from "node:fs";
import { DocketApiError } from "../client/index.ts";
import { type Command, runCommand } from "./command.ts";
import { archiverCommand } from "./commands/archiver.ts";
import { auditCommands } from "./commands/audit/index.ts";
import { jobLogsCommand } from "./commands/job-logs.ts";
import { jobCommands } from "./commands/jobs.ts";
import { machineCommand } from "./commands/machine.ts";
import { projectionCommands } from "./commands/projections.ts";
import { apiCommand, startCommand } from "./commands/serve.ts";
import { webhookCommands } from "./commands/webhooks.ts";
import { workerCommand } from "./commands/worker.ts";
import { workerCommands } from "./commands/workers.ts";
import { scheduleCommands } from "./commands/schedules.ts";
import { ConfigError } from "./config-error.ts";
import { suggest } from "./suggest.ts";

const COMMANDS: ReadonlyArray<Command> = [
  startCommand,
  apiCommand,
  workerCommand,
  archiverCommand,
  ...jobCommands,
  jobLogsCommand,
  ...scheduleCommands,
  ...workerCommands,
  ...projectionCommands,
  ...auditCommands,
  ...webhookCommands,
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
    "HOST, DOCKET_API_TOKEN, DOCKET_API_TOKENS, DOCKET_API_URL, DOCKET_PREFIX, DOCKET_SHARDS,",
    "DOCKET_LEASE_MS, DOCKET_DATA_DIR, DOCKET_ARCHIVE_DIR, DOCKET_ARCHIVE_SEGMENT_ENTRIES,",
    "DOCKET_ARCHIVE_MAX_AGE_MS, DOCKET_ARCHIVER, DOCKET_SIGNING_KEY; a worker's DOCKET_QUEUES,",
    "DOCKET_WORKER_NAME, DOCKET_CONCURRENCY, DOCKET_RATE_LIMITS, DOCKET_FAIRNESS; the scheduler's",
    "DOCKET_SCHEDULER, DOCKET_SCHEDULER_INTERVAL_MS, DOCKET_SCHEDULER_GRACE_MS. --env-file <path>",
    "(any command) loads variables from a file first; those already set in the environment win.",
    "",
    "Exit codes: 0 ok, 1 failed (a job, a check, the API, Redis), 2 usage or configuration error.",
    "docket --version prints the version.",
  ].join("\n");
};

/**
 * `--env-file <path>` (or `--env-file=<path>`), anywhere before a `--`: taken out of argv and the
 * file's variables loaded into process.env before any command reads its configuration. A variable
 * already set in the environment wins over the file's (Node's process.loadEnvFile rule, as
 * `node --env-file`). Returns the remaining argv, or an error message (exit 2).
 */
const loadEnvFiles = (argv: ReadonlyArray<string>): { argv: ReadonlyArray<string> } | { error: string } => {
  const rest: Array<string> = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    let path: string | undefined;
    if (word === "--env-file") {
      path = argv[i + 1];
      i += 1;
      if (path === undefined || path === "") return { error: "--env-file needs a path" };
    } else if (word.startsWith("--env-file=")) path = word.slice("--env-file=".length);
    else {
      rest.push(word);
      continue;
    }
    try {
      process.loadEnvFile(path);
    } catch (error) {
      const code = (error as { code?: string }).code;
      return {
        error: `--env-file ${JSON.stringify(path)}: ${code === "ENOENT" ? "no such file" : ((error as Error).message ?? String(error))}`,
      };
    }
  }
  return { argv: rest };
};

const version = (): string =>
  (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
    .version;

/** "did you mean …?" for a mistyped command, or "" when nothing is close. */
const didYouMean = (argv: ReadonlyArray<string>): string => {
  const names = COMMANDS.map((c) => c.name);
  const typed = argv.filter((word) => !word.startsWith("-")).slice(0, 2);
  const candidates = suggest(typed, names);
  return candidates.length === 0
    ? ""
    : `\n\nDid you mean ${candidates.map((name) => `\`docket ${name}\``).join(" or ")}?`;
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

export const main = async (given: ReadonlyArray<string>): Promise<number> => {
  const loaded = loadEnvFiles(given);
  if ("error" in loaded) {
    process.stderr.write(`docket: ${loaded.error}\n`);
    return 2;
  }
  const { argv } = loaded;
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    process.stdout.write(`${overview()}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === "--version" || argv[0] === "-v") {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const found = findCommand(argv);
  if (found === null) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
    const listing = [`docket ${argv[0]} <command>`, "", ...group.map((c) => `  ${c.name}  ${c.summary}`)];
    const asksHelp = argv.length === 1 || argv[1] === "--help" || argv[1] === "-h";
    if (group.length > 0 && asksHelp) {
      process.stdout.write(`${listing.join("\n")}\n`);
      return argv.length === 1 ? 2 : 0;
    }
    const unknown = group.length > 0 ? argv.slice(0, 2).join(" ") : (argv[0] ?? "");
    process.stderr.write(
      `docket: unknown command ${JSON.stringify(unknown)}${didYouMean(argv)}\n\n${group.length > 0 ? listing.join("\n") : overview()}\n`,
    );
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
      // 400: the API refused a value given on the command line (`--status nope`): a usage error.
      const usage = error.status === 400;
      process.stderr.write(
        `docket ${found.command.name}: ${error.code}: ${error.message}${usage ? ` (docket ${found.command.name} --help)` : ""}\n`,
      );
      return usage ? 2 : 1;
    }
    // fetch() fails with a bare TypeError("fetch failed") whose cause says why.
    if (error instanceof TypeError && error.message === "fetch failed") {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const { redactUrl } = await import("../infra/redact-url.ts");
      const { apiUrl } = (await import("./config.ts")).readEnv();
      process.stderr.write(
        `docket ${found.command.name}: the API at ${redactUrl(apiUrl)} does not answer (${cause?.code ?? cause?.message ?? "no reply"}); is \`docket start\` or \`docket api\` running? (DOCKET_API_URL)${found.command.name.startsWith("audit ") ? "; --direct reads Redis instead" : ""}\n`,
      );
      return 1;
    }
    const { redactUrlsIn } = await import("../infra/redact-url.ts");
    const message = redactUrlsIn(error instanceof Error ? error.message : String(error));
    // Redis refused the password, or the handlers module cannot be used: configuration errors.
    if (error instanceof Error && error.name === "RedisAuthRefused") {
      const hint =
        (error as { reason?: string }).reason === "no_password"
          ? "; the private Redis of `docket start` keeps its password in DOCKET_DATA_DIR/redis/password"
          : "";
      process.stderr.write(`docket ${found.command.name}: ${message} (REDIS_URL)${hint}\n`);
      return 2;
    }
    // The archive's signing key cannot be used (DOCKET_SIGNING_KEY, or the data directory's).
    if (
      error instanceof Error &&
      (error.name === "HandlersModuleError" || error.name === "SigningKeyError")
    ) {
      process.stderr.write(`docket ${found.command.name}: ${message}\n`);
      return 2;
    }
    process.stderr.write(`docket ${found.command.name}: ${message}\n`);
    return 1;
  }
};
