/**
 * What job handlers look like. A handler is `(payload, ctx) => result | Promise<result>`; a
 * handlers module (used by the CLI) is an ES module whose default export maps job type to
 * handler. A thrown error is retried unless it says `retryable: false` (or is a
 * NonRetryableError); a job type with no handler is dead-lettered at once.
 *
 * Handlers are user code: what they throw, log or report may be anything. This module turns it
 * into what an event can hold (an AttemptError, a log line, a progress report), without ever
 * throwing itself (ADR 0018).
 */
import {
  type AttemptError,
  copyJson,
  type FailurePolicy,
  type JobStatus,
  fitText,
  type Json,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_LOG_LINE_LENGTH,
  MAX_META_BYTES,
  MAX_PROGRESS_MESSAGE_LENGTH,
  metaProblem,
  NAME_PATTERN,
  type Progress,
} from "../../domain/index.ts";

export interface HandlerContext {
  readonly jobId: string;
  readonly attempt: number;
  readonly jobType: string;
  /** Aborted on timeout, on cancellation, when the lease is lost, and on forced shutdown. */
  readonly signal: AbortSignal;
  /**
   * Recorded as a ProgressReported event, at most one every 200 ms (and, in a long attempt, one
   * per thousandth of its age: ADR 0045): a report that comes sooner
   * is held, replaced by any later one, and recorded when its time comes or before the attempt's
   * next record (a log line, a step, its outcome), so the latest report is always recorded.
   * `current` and `total` must be finite numbers ≥ 0: any other report is not recorded (a log
   * line says why) and the attempt goes on. The message is cut to MAX_PROGRESS_MESSAGE_LENGTH.
   */
  progress(current: number, total: number, message?: string): Promise<void>;
  /**
   * Replace the job's meta (shown by get and list, searchable) with `meta`: a JSON object of at
   * most MAX_META_BYTES, nested at most MAX_META_DEPTH deep. Recorded as a MetaUpdated event, at
   * most one every 200 ms as progress is (the latest wins); a value that cannot be meta is not
   * recorded (a log line says why) and the attempt goes on.
   */
  setMeta(meta: Readonly<Record<string, unknown>>): Promise<void>;
  /**
   * Recorded as a LogRecorded event, cut to MAX_LOG_LINE_LENGTH (the line then says so). An
   * attempt records at most MAX_LOG_LINES_PER_ATTEMPT lines: the one at the limit says so, later
   * ones are not recorded, and the attempt's end says how many were left out.
   */
  log(line: string): Promise<void>;
  /**
   * A durable step (ADR 0043): runs `fn` once per job. Its result — JSON, as a job's result is
   * (plain objects, arrays, strings, finite numbers, booleans, null; `undefined` becomes null) — is
   * recorded as a StepCompleted event and a copy of it returned; a later attempt of the job that reaches the same step (same `name`, and `index` for
   * a step in a loop) is given the recorded result without running `fn`. If `fn` throws, a
   * StepFailed is recorded and the same value is thrown here; a later attempt runs `fn` again. A
   * result that is not JSON or larger than MAX_STEP_RESULT_BYTES is refused like a throw
   * (`invalid_step_result`, not retryable). Calling the same step twice in one attempt throws
   * StepError `duplicate_step`. `version` names the step's code for the change check (default:
   * the function's source): when it differs from the one recorded, the recorded result is still
   * used, and a log line says so.
   */
  step<T>(name: string, fn: () => T | Promise<T>, options?: StepOptions): Promise<Awaited<T>>;
  /**
   * Sleep durably (ADR 0043): the attempt ends and the job is suspended, holding no worker, until
   * `ms` from now; it then runs again from the top, and this call returns at once (as do the steps
   * before it, from their records). A sleep is keyed by its name: once slept, always slept.
   */
  sleep(name: string, ms: number): Promise<void>;
  /**
   * Wait durably for the signal `name` (`POST /v1/jobs/:id/signal`, ADR 0043): returns at once
   * when the job has it (received before, or on a resume), else suspends the job until it comes
   * or `timeoutMs` passes (default and most: MAX_DELAY_MS). `{ timedOut: true }` after a timeout;
   * a wait that timed out stays timed out, even if the signal comes later.
   */
  waitFor(name: string, options?: { readonly timeoutMs?: number }): Promise<WaitResult>;
  /**
   * The jobs this job depends on (its flow children and its `dependsOn`), in the order named,
   * each with its status, result and last error as they are now (ADR 0042). Empty for a job
   * without dependencies (read once per call; no Redis read when there are none).
   */
  children(): Promise<ReadonlyArray<ChildOutcome>>;
}

export interface StepOptions {
  /** For a step run in a loop: its index, 0 to MAX_STEP_INDEX (the key is name and index). */
  readonly index?: number;
  /** Names the step's code for the change check, instead of the function's source text. */
  readonly version?: string;
}

export type WaitResult =
  { readonly timedOut: false; readonly payload: Json | null } | { readonly timedOut: true };

/**
 * What a durable step, sleep or wait throws when it cannot do what it was asked (ADR 0043): a
 * duplicate step in one attempt, a result that cannot be recorded, an attempt already over. As
 * with any thrown error, `retryable: false` dead-letters the job if the handler lets it through.
 */
export class StepError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "StepError";
  }
}

/** One dependency of the running job, as `ctx.children()` shows it. */
export interface ChildOutcome {
  readonly jobId: string;
  /** Its status now (read from the archive once it has left Redis); null when it cannot be read. */
  readonly status: JobStatus | null;
  readonly onFailure: FailurePolicy;
  /** Submitted as this job's child in a flow. */
  readonly child: boolean;
  /** Its result, once completed. */
  readonly result: Json | null;
  /** Its last attempt's error (for a failed child: why). */
  readonly error: AttemptError | null;
}

export type Handler = (payload: Json, ctx: HandlerContext) => unknown;
export type Handlers = Readonly<Record<string, Handler>>;

/**
 * The handler for a job type, never one `Object.prototype` lends: a job of type "constructor"
 * or "toString" must find no handler in a plain-object map, not Object's own function. Looked up
 * with `handlers[type]` otherwise, so a Proxy or a class instance works as a map too.
 */
export const handlerFor = (handlers: Handlers, type: string): Handler | undefined => {
  const handler = handlers[type];
  const inherited =
    type in Object.prototype && handler === (Object.prototype as Record<string, unknown>)[type];
  return inherited ? undefined : handler;
};

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

/** Read `read()`, or `fallback` when reading throws (a getter, a proxy trap). */
const safely = <A>(read: () => A, fallback: A): A => {
  try {
    return read();
  } catch {
    return fallback;
  }
};

/**
 * Any value as text, never throwing: a string as it is, else `String(value)`, else (an object
 * without a prototype, a proxy that throws) what kind of value it is.
 */
export const textOf = (value: unknown): string => {
  if (typeof value === "string") return value;
  return safely(
    () => String(value),
    safely(() => Object.prototype.toString.call(value), `a value of type ${typeof value}`),
  );
};

const messageOf = (thrown: unknown): string => {
  const isError = safely(() => thrown instanceof Error, false);
  // Anything else is worded as if thrown as `new Error(String(value))`, as it always was.
  if (!isError) return `Error: ${textOf(thrown)}`;
  const error = thrown as Error;
  const name = safely(() => textOf(error.name), "Error");
  const message = safely(() => textOf(error.message), "(its message could not be read)");
  return `${name}: ${message}`;
};

/**
 * How a thrown value is recorded: a stable code (the value's own `code` when it is a valid name,
 * else `handler_error`), its message made to fit an event (well-formed, cut to the limit), and
 * whether to retry (unless it says `retryable: false`). Never throws, whatever was thrown.
 */
export const attemptErrorOf = (thrown: unknown): AttemptError => {
  const isObject = (typeof thrown === "object" && thrown !== null) || typeof thrown === "function";
  const fields = isObject ? (thrown as { code?: unknown; retryable?: unknown }) : {};
  const code = safely(() => fields.code, undefined);
  const retryable = safely(() => fields.retryable, undefined);
  return {
    code: typeof code === "string" && NAME_PATTERN.test(code) ? code : "handler_error",
    message: fitText(messageOf(thrown), MAX_ERROR_MESSAGE_LENGTH),
    retryable: retryable !== false,
  };
};

/** A handler's log line as recorded: any value as text, well-formed, cut to the limit. */
export const logLineOf = (line: unknown): string => fitText(textOf(line), MAX_LOG_LINE_LENGTH);

const isProgressNumber = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n) && n >= 0;

/**
 * A handler's progress report as recorded, or, when `current` or `total` is not a finite number
 * ≥ 0, the log line that records its refusal instead (the attempt goes on: a bad progress report
 * is not worth a failed job). The message is made well-formed and cut to the limit.
 */
export const progressOf = (
  current: unknown,
  total: unknown,
  message: unknown,
): { readonly progress: Progress } | { readonly refused: string } => {
  if (!isProgressNumber(current) || !isProgressNumber(total)) {
    const shown = [current, total].map((n) => fitText(textOf(n), 64)).join(", ");
    return { refused: `progress (${shown}) refused: current and total must be finite numbers ≥ 0` };
  }
  return message === undefined
    ? { progress: { current, total } }
    : { progress: { current, total, message: fitText(textOf(message), MAX_PROGRESS_MESSAGE_LENGTH) } };
};

/**
 * A handler's meta as recorded (a fresh copy, read once), or, when it cannot be a job's meta, the
 * log line that records its refusal instead: like a bad progress report, not worth a failed job.
 */
export const metaOf = (value: unknown): { readonly meta: Json } | { readonly refused: string } => {
  // Twice the byte limit in UTF-16 units bounds the walk; metaProblem then measures exactly.
  const copied = copyJson(value, 2 * MAX_META_BYTES);
  const problem =
    "problem" in copied
      ? copied.problem.path.length === 0
        ? copied.problem.message
        : `at ${copied.problem.path.join(".")}: ${copied.problem.message}`
      : metaProblem(copied.value);
  return problem === undefined && "value" in copied
    ? { meta: copied.value }
    : { refused: fitText(`meta refused: ${problem ?? "not JSON"}`, MAX_LOG_LINE_LENGTH) };
};
