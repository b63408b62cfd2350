/**
 * The one logger of the long-running commands (`start`, `api`, `worker`; ADR 0020, 0030): pino,
 * which fastify also writes its request lines with. JSON lines on stdout (pino's format: level,
 * time, pid, hostname, component, msg and the line's fields) when stdout is not a terminal or
 * with `--json`; readable text on stderr (`docket api: …`) at a terminal, or with LOG_FORMAT=text.
 * LOG_LEVEL picks the level (info by default).
 *
 * Nothing secret is written: every message goes through the URL redaction (a password in
 * REDIS_URL never reaches a log), errors' messages and stacks too, and the members that could
 * hold a credential (authorization headers, tokens, passwords) are censored wherever they appear.
 */
import type { DestinationStream, Logger } from "pino";
import { redactUrlsIn } from "../infra/redact-url.ts";
import { textDestination } from "./log-text.ts";

export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** The same log for one part of the process (`worker`, `projector`, …). */
  child(component: string): Log;
  /** The pino logger, for fastify's request lines. */
  readonly pino: Logger;
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "json" | "text";

type Level = "info" | "warn" | "error";

/** Wherever these appear in a line (one level down included), pino writes [Redacted]. */
const SECRET_PATHS = [
  "authorization",
  "password",
  "token",
  "*.authorization",
  "*.password",
  "*.token",
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
];

const redactedError = (error: unknown): Record<string, unknown> => {
  if (!(error instanceof Error)) return { message: redactUrlsIn(String(error)) };
  return {
    type: error.name,
    message: redactUrlsIn(error.message),
    ...(error.stack === undefined ? {} : { stack: redactUrlsIn(error.stack) }),
    ...("code" in error && typeof error.code === "string" ? { code: error.code } : {}),
    ...("_tag" in error && typeof error._tag === "string" ? { tag: error._tag } : {}),
  };
};

/** `component` nests (`api projector`); pino's own child() would repeat the key in the line. */
const wrap = (root: Logger, component: string): Log => {
  const logger = component === "" ? root : root.child({ component });
  const at =
    (level: Level) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      logger[level](fields, redactUrlsIn(message));
  return {
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (name) => wrap(root, component === "" ? name : `${component} ${name}`),
    pino: logger,
  };
};

/** JSON unless asked for text, or, with no choice made, when stdout is a terminal (a person). */
export const chooseFormat = (options: {
  readonly json: boolean;
  readonly format: LogFormat | undefined;
  readonly stdoutIsTTY: boolean;
}): LogFormat => (options.json ? "json" : (options.format ?? (options.stdoutIsTTY ? "text" : "json")));

/**
 * The log of a long-running command: `component` names it (`api`, `worker`; "" for start).
 * `destination` replaces stdout (JSON) or stderr (text): tests capture lines with it.
 */
export const openLog = async (options: {
  readonly json: boolean;
  readonly component: string;
  readonly level?: LogLevel;
  readonly format?: LogFormat;
  readonly destination?: (text: string) => void;
}): Promise<Log> => {
  const format = chooseFormat({
    json: options.json,
    format: options.format,
    stdoutIsTTY: process.stdout.isTTY === true,
  });
  const { pino } = await import("pino");
  const write = options.destination;
  const destination: DestinationStream | undefined =
    format === "text" ? textDestination(write) : write === undefined ? undefined : { write };
  const root = pino(
    {
      name: "docket",
      level: options.level ?? "info",
      redact: { paths: SECRET_PATHS },
      serializers: { err: redactedError, error: redactedError },
    },
    destination,
  );
  return wrap(root, options.component);
};

/** A long-running command's log, as the environment asks (LOG_LEVEL, LOG_FORMAT; --json wins). */
export const openCommandLog = (
  context: { readonly json: boolean },
  env: { readonly logLevel: LogLevel; readonly logFormat: LogFormat | undefined },
  component: string,
): Promise<Log> =>
  openLog({
    json: context.json,
    component,
    level: env.logLevel,
    ...(env.logFormat === undefined ? {} : { format: env.logFormat }),
  });

/** Digits, hex ids and uuids vary between otherwise identical messages. */
const shapeOf = (message: string): string => message.replace(/[0-9a-f-]{8,}|\d+/gi, "#");

/**
 * Reports failures that repeat, such as "Redis is unavailable" from every loop of a worker
 * while Redis is away: a message is printed once, then its repeats within `windowMs` are only
 * counted and summed up on the next one printed. A failing Redis thus costs a line per window,
 * not ten lines a second.
 */
export const repeatLimited = (
  log: Log,
  windowMs = 10_000,
  now: () => number = Date.now,
): ((error: unknown) => void) => {
  const seen = new Map<string, { printedAt: number; repeats: number }>();
  return (error) => {
    const message = error instanceof Error ? error.message : String(error);
    const key = shapeOf(message);
    const at = now();
    const last = seen.get(key);
    if (last !== undefined && at - last.printedAt < windowMs) {
      last.repeats += 1;
      return;
    }
    const repeats = last?.repeats ?? 0;
    seen.delete(key);
    seen.set(key, { printedAt: at, repeats: 0 });
    // Keep the memory bounded when messages vary more than their shape captures.
    if (seen.size > 100) seen.delete(seen.keys().next().value as string);
    log.error(repeats === 0 ? message : `${message} (and ${repeats} more like it since)`, {
      ...(repeats === 0 ? {} : { repeats }),
    });
  };
};
