import { describe, expect, it } from "vitest";
import { AttemptAbort, runAttempt } from "../src/engine/worker/attempt.ts";
import type { HandlerContext } from "../src/engine/worker/index.ts";

const context = (abort: AttemptAbort): HandlerContext => ({
  jobId: "job-1",
  attempt: 1,
  jobType: "t",
  get signal() {
    return abort.signal;
  },
  progress: async () => {},
  setMeta: async () => {},
  log: async () => {},
  step: async () => {
    throw new Error("no steps here");
  },
  sleep: async () => {},
  waitFor: async () => ({ timedOut: true }),
  children: async () => [],
});

describe("AttemptAbort (the handler's signal, made only when asked for)", () => {
  it("a signal read before the abort is aborted by it, with the reason", () => {
    const abort = new AttemptAbort();
    const signal = abort.signal;
    expect(signal.aborted).toBe(false);
    abort.abort("lease_lost");
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe("lease_lost");
  });

  it("a signal first read after the abort is already aborted, and the first reason stays", () => {
    const abort = new AttemptAbort();
    abort.abort("shutdown");
    abort.abort("timeout");
    expect(abort.signal.aborted).toBe(true);
    expect(abort.signal.reason).toBe("shutdown");
    expect(abort.reason).toBe("shutdown");
  });

  it("a handler that never reads its signal still loses the race to an abort", async () => {
    const abort = new AttemptAbort();
    const outcome = runAttempt(() => new Promise(() => {}), null, context(abort), abort, null);
    abort.abort("lease_lost");
    expect(await outcome).toEqual({ _tag: "Abandoned", reason: "lease_lost" });
  });

  it("an attempt aborted before it began does not call the handler", async () => {
    const abort = new AttemptAbort();
    abort.abort("shutdown");
    let called = false;
    const outcome = await runAttempt(() => void (called = true), null, context(abort), abort, null);
    expect(outcome).toEqual({ _tag: "Abandoned", reason: "shutdown" });
    expect(called).toBe(false);
  });

  it("a handler that throws synchronously or rejects fails the attempt with its error", async () => {
    const run = (handler: () => unknown) =>
      runAttempt(handler, null, context(new AttemptAbort()), new AttemptAbort(), 1_000);
    const sync = await run(() => {
      throw Object.assign(new Error("nope"), { retryable: false });
    });
    expect(sync).toMatchObject({ _tag: "Failed", error: { message: "Error: nope", retryable: false } });
    const rejected = await run(() => Promise.reject(new Error("later")));
    expect(rejected).toMatchObject({ _tag: "Failed", error: { message: "Error: later", retryable: true } });
  });

  it("a timeout fails the attempt as retryable and aborts the signal the handler waits on", async () => {
    const abort = new AttemptAbort();
    let sawAbort = false;
    const handler = (_: unknown, ctx: HandlerContext) =>
      new Promise<never>((_, reject) =>
        ctx.signal.addEventListener("abort", () => {
          sawAbort = true;
          reject(new Error("aborted"));
        }),
      );
    const outcome = await runAttempt(handler, null, context(abort), abort, 20);
    expect(outcome).toMatchObject({ _tag: "Failed", error: { code: "timeout", retryable: true } });
    expect(sawAbort).toBe(true);
  });

  it("a handler's result is its JSON value; nothing is null; a non-JSON value fails for good", async () => {
    const run = (value: unknown) =>
      runAttempt(() => value as never, null, context(new AttemptAbort()), new AttemptAbort(), null);
    expect(await run({ ok: [1, "a"] })).toEqual({ _tag: "Succeeded", result: { ok: [1, "a"] } });
    expect(await run(undefined)).toEqual({ _tag: "Succeeded", result: null });
    expect(await run(() => 1)).toMatchObject({
      _tag: "Failed",
      error: { code: "invalid_result", retryable: false },
    });
  });
});
