/**
 * The readable form of a log line (ADR 0030): what a person at a terminal sees instead of pino's
 * JSON. pino writes its JSON line here and this prints `docket <component>: <message>`, with an
 * error's stack below it. Messages say in words what the line's fields hold for machines, so the
 * fields are left to the JSON form; the levels and the redaction are the JSON line's.
 */

/** warn and above say so: a person skimming for trouble looks for the word. */
const LEVEL_WORD: Readonly<Record<number, string>> = { 40: "warning: ", 50: "error: ", 60: "fatal: " };

export const textOfLine = (json: string): string => {
  let line: Record<string, unknown>;
  try {
    line = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const component = typeof line.component === "string" ? ` ${line.component}` : "";
  const level = typeof line.level === "number" ? (LEVEL_WORD[line.level] ?? "") : "";
  const err = line.err as { readonly stack?: unknown; readonly message?: unknown } | undefined;
  const stack =
    err === undefined ? "" : `\n  ${String(err.stack ?? err.message ?? "").replace(/\n/g, "\n  ")}`;
  return `docket${component}: ${level}${String(line.msg ?? "")}${stack}\n`;
};

/** A pino destination that prints each line as text (to stderr unless told otherwise). */
export const textDestination = (
  write: (text: string) => void = (text) => void process.stderr.write(text),
): { write(json: string): void } => ({ write: (json) => write(textOfLine(json)) });
