/**
 * What the long-running commands (`start`, `api`, `worker`) say while they run. Text lines on
 * stderr (`docket api: …`) by default; with `--json`, JSON log lines on stdout in pino's format
 * (one object per line: level, time, pid, hostname, component, msg), the same logger fastify
 * writes its request lines with (ADR 0020). Every message is passed through the URL redaction,
 * so a password in REDIS_URL never reaches a log.
 */
import type { Logger } from "pino";
import { redactUrlsIn } from "../infra/redact-url.ts";

export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** The same log for one part of the process (`worker`, `projector`, …). */
  child(component: string): Log;
  /** In JSON mode, the pino logger, for fastify's request lines; undefined in text mode. */
  readonly pino: Logger | undefined;
}

type Level = "info" | "warn" | "error";

const textLog = (component: string): Log => {
  const say = (message: string) =>
    process.stderr.write(`docket${component === "" ? "" : ` ${component}`}: ${redactUrlsIn(message)}\n`);
  return {
    info: say,
    warn: say,
    error: say,
    child: (name) => textLog(component === "" ? name : `${component} ${name}`),
    pino: undefined,
  };
};

const jsonLog = (logger: Logger): Log => {
  const at =
    (level: Level) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      logger[level](fields, redactUrlsIn(message));
  return {
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (component) => jsonLog(logger.child({ component })),
    pino: logger,
  };
};

/**
 * The log of a long-running command: `component` names it (`api`, `worker`; "" for start).
 * pino is loaded only for `--json`: every `docket` command would otherwise pay for loading it.
 */
export const openLog = async (options: {
  readonly json: boolean;
  readonly component: string;
}): Promise<Log> => {
  if (!options.json) return textLog(options.component);
  const { pino } = await import("pino");
  const root = pino({ name: "docket" });
  return jsonLog(options.component === "" ? root : root.child({ component: options.component }));
};

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
