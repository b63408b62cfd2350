/**
 * Built-in handlers for a first look (`docket start` without --handlers):
 *   echo   returns its payload
 *   sleep  { ms?: number = 1000 } sleeps, reporting progress, and honours cancellation
 *   fail   { message?, retryable?: boolean = true } always fails
 *   flaky  { failures?: number = 1 } fails its first `failures` attempts, then succeeds
 */
import type { Json } from "../domain/index.ts";
import { type Handlers, NonRetryableError } from "../engine/worker/index.ts";

const field = (payload: Json, name: string): unknown =>
  typeof payload === "object" && payload !== null && !Array.isArray(payload)
    ? (payload as Readonly<Record<string, Json>>)[name]
    : undefined;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    // Remove the abort listener when the timer fires: a handler sleeps in many steps on one signal.
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

export const demoHandlers: Handlers = {
  echo: (payload) => payload,
  sleep: async (payload, ctx) => {
    const requested = field(payload, "ms");
    const ms = typeof requested === "number" && requested >= 0 ? Math.min(requested, 3_600_000) : 1000;
    const steps = 10;
    for (let step = 1; step <= steps; step++) {
      await sleep(ms / steps, ctx.signal);
      await ctx.progress(step, steps, `slept ${Math.round((ms * step) / steps)} ms`);
    }
    return { sleptMs: ms };
  },
  fail: (payload) => {
    const message = field(payload, "message");
    const text = typeof message === "string" ? message : "failed on purpose";
    if (field(payload, "retryable") === false) throw new NonRetryableError(text);
    throw new Error(text);
  },
  flaky: async (payload, ctx) => {
    const failures = field(payload, "failures");
    const n = typeof failures === "number" ? failures : 1;
    if (ctx.attempt <= n) {
      await ctx.log(`attempt ${ctx.attempt}: failing on purpose (${n} failure(s) planned)`);
      throw new Error(`flaky: attempt ${ctx.attempt} of ${n} planned failures`);
    }
    return { succeededOnAttempt: ctx.attempt };
  },
};
