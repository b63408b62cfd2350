/**
 * Redis connections for Docket. Commands fail fast while Redis is down (no offline queue, a
 * command timeout), so a submit answers "unavailable" instead of hanging; ioredis keeps
 * reconnecting in the background and workers resume when it is back.
 */
import { Redis } from "ioredis";
import { QueueUnavailable } from "../../engine/errors.ts";

export interface ConnectionOptions {
  readonly url: string;
  /** How long one command may take before it counts as unavailable. */
  readonly commandTimeoutMs?: number;
}

const baseOptions = () => ({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  // Reconnect forever, backing off to at most 2 s between tries.
  retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
});

/** Connection errors are reported through `guarded` calls; the listener keeps ioredis quiet. */
const quiet = (client: Redis): Redis => client.on("error", () => {});

/**
 * No ioredis auto-pipelining on any connection (ADR 0016): the hot paths batch by themselves
 * (append.lua calls coalesced per tick, explicit pipelines for many reads), and auto-pipelining
 * added a pipeline object and a deferred flush to every command on top, about 30 µs of CPU per
 * lone round trip.
 */
export const connect = (options: ConnectionOptions): Redis =>
  quiet(
    new Redis(options.url, {
      ...baseOptions(),
      enableAutoPipelining: false,
      commandTimeout: options.commandTimeoutMs ?? 5_000,
    }),
  );

/** A connection for blocking reads (XREADGROUP BLOCK): no command timeout, its own socket. */
export const connectBlocking = (options: ConnectionOptions): Redis =>
  quiet(new Redis(options.url, { ...baseOptions(), enableAutoPipelining: false }));

/** Resolves once the client is connected, or fails with QueueUnavailable after `timeoutMs`. */
export const whenReady = (client: Redis, timeoutMs = 5_000): Promise<Redis> =>
  client.status === "ready"
    ? Promise.resolve(client)
    : new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          client.off("ready", onReady);
          reject(
            new QueueUnavailable({
              message: `Redis did not answer within ${timeoutMs} ms`,
              outcome: "not_written",
            }),
          );
        }, timeoutMs);
        const onReady = () => {
          clearTimeout(timer);
          resolve(client);
        };
        client.once("ready", onReady);
      });

/** Failures before the command reached Redis: it certainly was not executed. */
const NOT_SENT = ["enableOfflineQueue", "ECONNREFUSED", "LOADING"];
/** Failures after the command may have been sent: it may or may not have been executed. */
const MAYBE_SENT = [
  "Connection is closed",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "Command timed out",
  "MaxRetriesPerRequest",
  "Reached the max retries",
];

const matches = (error: unknown, texts: ReadonlyArray<string>): boolean =>
  error instanceof Error && texts.some((text) => error.message.includes(text) || error.name.includes(text));

export const isUnavailableError = (error: unknown): boolean =>
  matches(error, NOT_SENT) || matches(error, MAYBE_SENT);

/** Runs a Redis call, turning connection failures into QueueUnavailable. */
export const guarded = async <A>(call: () => Promise<A>): Promise<A> => {
  try {
    return await call();
  } catch (error) {
    if (!isUnavailableError(error)) throw error;
    throw new QueueUnavailable({
      message: `Redis is unavailable: ${(error as Error).message}`,
      outcome: matches(error, MAYBE_SENT) ? "unknown" : "not_written",
    });
  }
};
