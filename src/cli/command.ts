/**
 * The CLI's small command framework on Node's own `util.parseArgs`: every command declares its
 * options with a description, gets `--help` and `--json` for free, and returns an exit code.
 */
import { parseArgs } from "node:util";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly description: string;
  readonly multiple?: boolean;
}

export interface CommandContext {
  readonly positionals: ReadonlyArray<string>;
  readonly values: Readonly<Record<string, string | boolean | ReadonlyArray<string> | undefined>>;
  readonly json: boolean;
  /** Print a result: as JSON with --json, else through `text`. */
  print(value: unknown, text?: (value: never) => string): void;
}

export interface Command {
  /** Words after `docket`, e.g. "jobs submit". */
  readonly name: string;
  readonly summary: string;
  /** Positional arguments, e.g. "<type>". */
  readonly args?: string;
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Extra help text (examples, environment). */
  readonly details?: string;
  run(context: CommandContext): Promise<number>;
}

/** A usage error: printed with the command's usage line, exit code 2. */
export class UsageError extends Error {}

const COMMON: Readonly<Record<string, OptionSpec>> = {
  json: { type: "boolean", description: "print machine-readable JSON" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

export const usageOf = (command: Command): string => {
  const options = { ...command.options, ...COMMON };
  const width = Math.max(
    ...Object.entries(options).map(([name, o]) => name.length + (o.type === "string" ? 8 : 0)),
  );
  const lines = Object.entries(options).map(([name, o]) => {
    const flag = `--${name}${o.type === "string" ? " <value>" : ""}`;
    return `  ${flag.padEnd(width + 4)}  ${o.description}`;
  });
  return [
    `docket ${command.name}${command.args === undefined ? "" : ` ${command.args}`} [options]`,
    "",
    command.summary,
    "",
    "Options:",
    ...lines,
    ...(command.details === undefined ? [] : ["", command.details]),
  ].join("\n");
};

export const runCommand = async (command: Command, argv: ReadonlyArray<string>): Promise<number> => {
  const options = { ...command.options, ...COMMON };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [
          name,
          {
            type: o.type,
            ...(o.short === undefined ? {} : { short: o.short }),
            ...(o.multiple ? { multiple: true } : {}),
          },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`docket ${command.name}: ${(error as Error).message}\n\n${usageOf(command)}\n`);
    return 2;
  }
  if (parsed.values.help === true) {
    process.stdout.write(`${usageOf(command)}\n`);
    return 0;
  }
  const json = parsed.values.json === true;
  const context: CommandContext = {
    positionals: parsed.positionals,
    values: parsed.values as CommandContext["values"],
    json,
    print: (value, text) => {
      const rendered = json || text === undefined ? JSON.stringify(value, null, 2) : text(value as never);
      process.stdout.write(`${rendered}\n`);
    },
  };
  try {
    return await command.run(context);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`docket ${command.name}: ${error.message}\n\n${usageOf(command)}\n`);
      return 2;
    }
    throw error;
  }
};

/** Typed option readers. */
export const stringOption = (context: CommandContext, name: string): string | undefined => {
  const value = context.values[name];
  return typeof value === "string" ? value : undefined;
};

export const intOption = (context: CommandContext, name: string, min = 0): number | undefined => {
  const value = stringOption(context, name);
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,9}$/.test(value) || Number(value) < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  return Number(value);
};

export const requirePositional = (context: CommandContext, index: number, name: string): string => {
  const value = context.positionals[index];
  if (value === undefined) throw new UsageError(`missing ${name}`);
  return value;
};

/** An option's value parsed as JSON, or a UsageError naming the option. */
export const jsonOption = (text: string, flag: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--${flag} is not valid JSON: ${(error as Error).message}`);
  }
};
