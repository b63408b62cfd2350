/**
 * Runs one attempt of one job: calls the handler with its context, enforces the timeout, and
 * turns what happened into an outcome. Records nothing itself; the worker does.
 */
import { Result, Schema } from "effect";
import type { AttemptError, Json } from "../domain/index.ts";
import { attemptErrorOf, type Handler, type HandlerContext } from "./handlers.ts";

export type AttemptOutcome =
  | { readonly _tag: "Succeeded"; readonly result: Json }
  | { readonly _tag: "Failed"; readonly error: AttemptError }
  /** The worker gave the job up (lease lost, cancelled, shutdown): record nothing for it. */
  | { readonly _tag: "Abandoned"; readonly reason: string };

export type AbortReason = "timeout" | "lease_lost" | "shutdown" | "crash";

const decodeJson = Schema.decodeUnknownResult(Schema.Json);

export const runAttempt = async (
  handler: Handler | undefined,
  payload: Json,
  ctx: HandlerContext,
  controller: AbortController,
  timeoutMs: number | null,
): Promise<AttemptOutcome> => {
  if (handler === undefined)
    return {
      _tag: "Failed",
      error: { code: "no_handler", message: `no handler for job type "${ctx.jobType}"`, retryable: false },
    };
  const timer =
    timeoutMs === null
      ? undefined
      : setTimeout(() => controller.abort("timeout" satisfies AbortReason), timeoutMs);
  const aborted = new Promise<AttemptOutcome>((resolve) => {
    const onAbort = () => {
      const reason = controller.signal.reason as AbortReason;
      resolve(
        reason === "timeout"
          ? {
              _tag: "Failed",
              error: { code: "timeout", message: `timed out after ${timeoutMs} ms`, retryable: true },
            }
          : { _tag: "Abandoned", reason },
      );
    };
    if (controller.signal.aborted) onAbort();
    else controller.signal.addEventListener("abort", onAbort, { once: true });
  });
  const ran = (async (): Promise<AttemptOutcome> => {
    try {
      const value = await handler(payload, ctx);
      const result = decodeJson(value === undefined ? null : value);
      return Result.isSuccess(result)
        ? { _tag: "Succeeded", result: result.success }
        : {
            _tag: "Failed",
            error: {
              code: "invalid_result",
              message: "the handler returned a value that is not JSON",
              retryable: false,
            },
          };
    } catch (thrown) {
      return { _tag: "Failed", error: attemptErrorOf(thrown) };
    }
  })();
  try {
    // A handler that ignores its signal is not waited for once the attempt is over.
    return await Promise.race([ran, aborted]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
};
