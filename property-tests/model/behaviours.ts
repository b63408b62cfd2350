/**
 * What each model job does, attempt by attempt, carried in its payload so the model knows it:
 * `script[a - 1]` is attempt a's behaviour (the last one repeats). The one test handler reads it.
 */
import { type Handlers, NonRetryableError } from "../../src/engine/worker/index.ts";

export type Behaviour =
  /** Returns a result. */
  | "ok"
  /** Throws a retryable error. */
  | "retry"
  /** Throws a NonRetryableError: dead letter at once. */
  | "fatal"
  /** Waits for its abort signal: the job's timeout fails the attempt (retryably). */
  | "timeout"
  /** Never settles and ignores its signal: the worker gives up on it at the timeout. */
  | "hang"
  /** Waits until the test opens its gate for this attempt (zombie jobs), then returns a result. */
  | "gate";

export const JOB_TYPE = "model";
/** Every model job's timeout: "timeout" and "hang" attempts end after it. */
export const TIMEOUT_MS = 150;

/**
 * A durable model job (ADR 0043) first runs a step (counted, so the checks can tell it ran at
 * most once once recorded), then sleeps or waits for the signal "go" (short timeout), then plays
 * its script by the attempts it has used (an attempt that ended suspended is given back).
 */
export type Durable = "sleep" | "wait";
export const SLEEP_MS = 40;
export const WAIT_TIMEOUT_MS = 80;

/** Every run of a durable job's step function, in order: the job and the attempt it ran in. */
export interface StepRun {
  readonly jobId: string;
  readonly attempt: number;
}

/** What the durable handlers need from the test's system. */
export interface DurableDeps {
  readonly stepRuns: Array<StepRun>;
  /** The job's suspensions so far (read from its head, through outages). */
  readonly suspensions: (jobId: string) => Promise<number>;
}

export interface ModelPayload {
  readonly script: ReadonlyArray<Behaviour>;
  readonly durable?: Durable;
  /** The gates "gate" attempts wait for: `${gate}/${attempt}`. */
  readonly gate?: string;
}

export const behaviourAt = (script: ReadonlyArray<Behaviour>, attempt: number): Behaviour =>
  script[Math.min(attempt, script.length) - 1] ?? "ok";

/** Gates the test opens; a "gate" attempt waits on its gate's promise. */
export class Gates {
  private readonly gates = new Map<string, { promise: Promise<void>; open: () => void }>();
  private get(name: string) {
    let gate = this.gates.get(name);
    if (gate === undefined) {
      let open = () => {};
      const promise = new Promise<void>((resolve) => (open = resolve));
      gate = { promise, open };
      this.gates.set(name, gate);
    }
    return gate;
  }
  wait(name: string): Promise<void> {
    return this.get(name).promise;
  }
  open(name: string): void {
    this.get(name).open();
  }
}

/** The handler every model worker runs: does what the payload's script says for this attempt. */
export const modelHandlers = (gates: Gates, durableDeps: DurableDeps): Handlers => ({
  [JOB_TYPE]: async (payload, ctx) => {
    const { script, gate, durable } = payload as unknown as ModelPayload;
    let used = ctx.attempt;
    if (durable !== undefined) {
      await ctx.step("prep", () => {
        durableDeps.stepRuns.push({ jobId: ctx.jobId, attempt: ctx.attempt });
        return ctx.attempt;
      });
      if (durable === "sleep") await ctx.sleep("nap", SLEEP_MS);
      else await ctx.waitFor("go", { timeoutMs: WAIT_TIMEOUT_MS });
      used = ctx.attempt - (await durableDeps.suspensions(ctx.jobId));
    }
    switch (behaviourAt(script, used)) {
      case "ok":
        return { attempt: ctx.attempt };
      case "retry":
        throw new Error(`attempt ${ctx.attempt} fails retryably`);
      case "fatal":
        throw new NonRetryableError(`attempt ${ctx.attempt} fails for good`);
      case "timeout":
        return new Promise((_resolve, reject) =>
          ctx.signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true }),
        );
      case "hang":
        return new Promise(() => {});
      case "gate":
        await gates.wait(`${gate ?? ""}/${ctx.attempt}`);
        return { attempt: ctx.attempt, afterGate: true };
    }
  },
});

/** What the attempt's outcome is recorded as, when nothing interferes with it. */
export type AttemptEnd = "completed" | "retryable" | "fatal" | "timeout";
export const endOf = (behaviour: Behaviour): AttemptEnd =>
  behaviour === "ok" || behaviour === "gate"
    ? "completed"
    : behaviour === "retry"
      ? "retryable"
      : behaviour === "fatal"
        ? "fatal"
        : "timeout";

/**
 * The terminal status and attempt count of a job left alone (no cancel, no retry, no
 * interference): the script played until an attempt completes, fails for good, or attempts run out.
 */
export const expectedEnd = (
  script: ReadonlyArray<Behaviour>,
  maxAttempts: number,
): { status: "completed" | "dead_letter"; attempts: number } => {
  for (let a = 1; ; a++) {
    const end = endOf(behaviourAt(script, a));
    if (end === "completed") return { status: "completed", attempts: a };
    if (end === "fatal" || a >= maxAttempts) return { status: "dead_letter", attempts: a };
  }
};
