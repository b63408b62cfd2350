/**
 * Runs one attempt of one job: calls the handler with its context, enforces the timeout, and
 * turns what happened into an outcome. Records nothing itself; the worker does.
 *
 * Whatever the handler does, the outcome is one an event can hold (ADR 0018): its result is a
 * fresh copy of a storable JSON value of at most MAX_RESULT_BYTES, or the attempt fails with
 * `invalid_result`; whatever it throws becomes a sanitised AttemptError. Nothing here throws.
 */
import {
  type AttemptError,
  copyJson,
  type Json,
  MAX_RESULT_BYTES,
  type SuspensionKind,
} from "../../domain/index.ts";
import { attemptErrorOf, type Handler, type HandlerContext } from "./handlers.ts";

export type AttemptOutcome =
  | { readonly _tag: "Succeeded"; readonly result: Json }
  | { readonly _tag: "Failed"; readonly error: AttemptError }
  /** The worker gave the job up (lease lost, cancelled, shutdown): record nothing for it. */
  | { readonly _tag: "Abandoned"; readonly reason: string }
  /** The handler slept or waited for a signal (ADR 0043): the attempt ends, the job is suspended. */
  | { readonly _tag: "Suspended"; readonly suspension: Suspension };

/** What a suspended attempt waits for, and until when at the latest. */
export interface Suspension {
  readonly kind: SuspensionKind;
  readonly name: string;
  readonly until: string;
}

export type AbortReason = "timeout" | "lease_lost" | "shutdown" | "crash" | "suspended";

/**
 * How an attempt is aborted. The handler's AbortSignal is created only when the handler reads
 * `ctx.signal`: most handlers never do, and an AbortController with its listener was a visible
 * share of a worker's CPU per job (ADR 0013). A signal read after the abort is already aborted.
 */
export class AttemptAbort {
  private controller: AbortController | undefined;
  private abortedWith: AbortReason | undefined;
  private listener: ((reason: AbortReason) => void) | undefined;

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortedWith !== undefined) this.controller.abort(this.abortedWith);
    }
    return this.controller.signal;
  }

  get reason(): AbortReason | undefined {
    return this.abortedWith;
  }

  /** What the handler suspended for, once it did (the abort's reason is then `suspended`). */
  suspension: Suspension | undefined;

  /**
   * End the attempt suspended (ctx.sleep, ctx.waitFor): the attempt's race resolves with the
   * suspension, and the handler's signal is aborted so cooperative code stops. Ignored once the
   * attempt is over for another reason.
   */
  suspend(suspension: Suspension): void {
    if (this.abortedWith !== undefined) return;
    this.suspension = suspension;
    this.abort("suspended");
  }

  abort(reason: AbortReason): void {
    if (this.abortedWith !== undefined) return;
    this.abortedWith = reason;
    this.controller?.abort(reason);
    this.listener?.(reason);
  }

  /** One listener (the attempt's own race); called at once if already aborted. */
  onAbort(listener: (reason: AbortReason) => void): void {
    this.listener = listener;
    if (this.abortedWith !== undefined) listener(this.abortedWith);
  }
}

const invalidResult = (message: string): AttemptOutcome => ({
  _tag: "Failed",
  error: {
    code: "invalid_result",
    message: `the handler's result cannot be recorded: ${message}`,
    retryable: false,
  },
});

const succeeded = (value: unknown): AttemptOutcome => {
  // Most handlers return nothing: no need to walk the value.
  if (value === undefined || value === null) return { _tag: "Succeeded", result: null };
  const copied = copyJson(value, MAX_RESULT_BYTES);
  if ("problem" in copied) {
    const { path, message } = copied.problem;
    return invalidResult(path.length === 0 ? message : `at ${path.join(".")}: ${message}`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(copied.value), "utf8");
  return bytes > MAX_RESULT_BYTES
    ? invalidResult(`it is ${bytes} bytes of JSON; the limit is ${MAX_RESULT_BYTES}`)
    : { _tag: "Succeeded", result: copied.value };
};

export const abandonedOrTimedOut = (
  reason: AbortReason,
  timeoutMs: number | null,
  suspension?: Suspension,
): AttemptOutcome =>
  reason === "timeout"
    ? {
        _tag: "Failed",
        error: { code: "timeout", message: `timed out after ${timeoutMs} ms`, retryable: true },
      }
    : reason === "suspended" && suspension !== undefined
      ? { _tag: "Suspended", suspension }
      : { _tag: "Abandoned", reason };

/** Reading `then` runs user code (a getter, a proxy trap), which may throw. */
const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  ((typeof value === "object" && value !== null) || typeof value === "function") &&
  typeof (value as { then?: unknown }).then === "function";

export const runAttempt = async (
  handler: Handler | undefined,
  payload: Json,
  ctx: HandlerContext,
  abort: AttemptAbort,
  timeoutMs: number | null,
): Promise<AttemptOutcome> => {
  if (handler === undefined)
    return {
      _tag: "Failed",
      error: { code: "no_handler", message: `no handler for job type "${ctx.jobType}"`, retryable: false },
    };
  // Given up before it began (lease lost, shutdown): the handler is not called at all.
  if (abort.reason !== undefined) return abandonedOrTimedOut(abort.reason, timeoutMs, abort.suspension);
  const timer =
    timeoutMs === null
      ? undefined
      : setTimeout(() => abort.abort("timeout" satisfies AbortReason), timeoutMs);
  try {
    let returned: unknown;
    try {
      returned = handler(payload, ctx);
    } catch (thrown) {
      return { _tag: "Failed", error: attemptErrorOf(thrown) };
    }
    let thenable: boolean;
    try {
      thenable = isPromiseLike(returned);
    } catch (thrown) {
      return { _tag: "Failed", error: attemptErrorOf(thrown) };
    }
    // A synchronous handler has finished: no race to run (no timer could fire meanwhile).
    if (!thenable) return succeeded(returned);
    const ran = Promise.resolve(returned as PromiseLike<unknown>).then(
      succeeded,
      (thrown: unknown): AttemptOutcome => ({
        _tag: "Failed",
        error: attemptErrorOf(thrown),
      }),
    );
    const aborted = new Promise<AttemptOutcome>((resolve) =>
      abort.onAbort((reason) => resolve(abandonedOrTimedOut(reason, timeoutMs, abort.suspension))),
    );
    // A handler that ignores its signal is not waited for once the attempt is over.
    return await Promise.race([ran, aborted]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
};
