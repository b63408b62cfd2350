/**
 * What job handlers look like. A handler is `(payload, ctx) => result | Promise<result>`; a
 * handlers module (used by the CLI) is an ES module whose default export maps job type to
 * handler. A thrown error is retried unless it says `retryable: false` (or is a
 * NonRetryableError); a job type with no handler is dead-lettered at once.
 */
import type { AttemptError, Json } from "../domain/index.ts";

export interface HandlerContext {
  readonly jobId: string;
  readonly attempt: number;
  readonly jobType: string;
  /** Aborted on timeout, on cancellation, when the lease is lost, and on forced shutdown. */
  readonly signal: AbortSignal;
  /** Recorded as a ProgressReported event. */
  progress(current: number, total: number, message?: string): Promise<void>;
  /** Recorded as a LogRecorded event. */
  log(line: string): Promise<void>;
}

export type Handler = (payload: Json, ctx: HandlerContext) => unknown;
export type Handlers = Readonly<Record<string, Handler>>;

/** Throw this (or any error with `retryable: false`) to dead-letter a job at once. */
export class NonRetryableError extends Error {
  readonly retryable = false;
  constructor(
    message: string,
    readonly code = "non_retryable",
  ) {
    super(message);
    this.name = "NonRetryableError";
  }
}

const CODE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** How a thrown value is recorded: a stable code, a message, and whether to retry. */
export const attemptErrorOf = (thrown: unknown): AttemptError => {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const fields = thrown as { code?: unknown; retryable?: unknown };
  const code = typeof fields?.code === "string" && CODE.test(fields.code) ? fields.code : "handler_error";
  return {
    code,
    message: `${error.name}: ${error.message}`.slice(0, 8192),
    retryable: fields?.retryable !== false,
  };
};
