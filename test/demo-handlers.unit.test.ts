/** The demo handlers `docket start` runs by default behave as the README says. */
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { demoHandlers } from "../src/cli/demo-handlers.ts";
import type { HandlerContext } from "../src/engine/worker/index.ts";

const context = (attempt: number, signal = new AbortController().signal) => {
  const progress: Array<[number, number]> = [];
  const ctx: HandlerContext = {
    jobId: "job-1",
    attempt,
    jobType: "demo",
    signal,
    progress: async (current, total) => void progress.push([current, total]),
    setMeta: async () => {},
    log: async () => {},
    step: async () => {
      throw new Error("no steps here");
    },
    sleep: async () => {},
    waitFor: async () => ({ timedOut: true }),
    children: async () => [],
  };
  return { ctx, progress };
};

describe("demo handlers", () => {
  it("echo returns its payload; fail throws, retryably unless told otherwise", async () => {
    expect(await demoHandlers.echo?.({ a: 1 }, context(1).ctx)).toEqual({ a: 1 });
    expect(() => demoHandlers.fail?.({ message: "boom" }, context(1).ctx)).toThrow("boom");
    expect(() => demoHandlers.fail?.({ retryable: false }, context(1).ctx)).toThrow(
      expect.objectContaining({ retryable: false }),
    );
  });

  it("flaky fails its first `failures` attempts, then succeeds", async () => {
    await expect(demoHandlers.flaky?.({ failures: 2 }, context(2).ctx)).rejects.toThrow("attempt 2");
    expect(await demoHandlers.flaky?.({ failures: 2 }, context(3).ctx)).toEqual({ succeededOnAttempt: 3 });
  });

  it("sleep reports ten steps of progress and leaves no abort listener behind", async () => {
    const controller = new AbortController();
    const { ctx, progress } = context(1, controller.signal);
    expect(await demoHandlers.sleep?.({ ms: 50 }, ctx)).toEqual({ sleptMs: 50 });
    expect(progress).toHaveLength(10);
    expect(progress.at(-1)).toEqual([10, 10]);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("sleep stops at once when its signal is aborted (cancellation, timeout)", async () => {
    const controller = new AbortController();
    const running = demoHandlers.sleep?.({ ms: 60_000 }, context(1, controller.signal).ctx);
    controller.abort(new Error("cancelled"));
    await expect(running).rejects.toThrow("cancelled");
  });
});
