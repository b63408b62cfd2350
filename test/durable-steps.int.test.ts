/**
 * Durable steps, sleeps and signals (ADR 0043) on a real Worker and a real Redis: a step's
 * function runs once per job however many attempts reach it, a sleep or a wait suspends the job
 * without holding the worker and resumes it from the top with the recorded steps replayed, signals
 * wake waiting jobs (or are kept for them), a suspended job can be cancelled, and every history
 * left replays and passes the audit verifier.
 */
import * as Result from "effect/Result";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextOf, type Envelope, replay, statusOf } from "../src/domain/index.ts";
import { CommandRefused } from "../src/engine/shared/index.ts";
import { type Handler, NonRetryableError, type Worker } from "../src/engine/worker/index.ts";
import { auditOf } from "./support/audit.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { checkInvariants } from "./support/invariants.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
let engine: TestEngine;
let worker: Worker;
const behaviours = new Map<string, Handler>();

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
  const handlers = new Proxy({} as Record<string, Handler>, {
    get: (_target, type) => (typeof type === "string" ? behaviours.get(type) : undefined),
  });
  ({ worker } = await startWorker(engine, handlers, { leaseMs: 60_000, concurrency: 2 }));
});
afterAll(async () => {
  await worker.stop(100);
  await engine.close();
  await redis.stop();
});

let counter = 0;

const submit = async (handler: Handler, spec: Record<string, unknown> = {}): Promise<string> => {
  const type = `durable-${++counter}`;
  behaviours.set(type, handler);
  const { jobId } = await engine.jobs.submit(
    { type, maxAttempts: 3, backoff: { type: "fixed", delayMs: 0 }, ...spec },
    apiActor,
  );
  return jobId;
};

const statusIs = async (jobId: string, ...statuses: ReadonlyArray<string>) =>
  waitFor(
    async () => statuses.includes(statusOf((await engine.jobs.get(jobId)).state)),
    `job ${jobId} to be ${statuses.join(" or ")}`,
    15_000,
  );

/** The job's history, once it replays, the invariants hold and the verifier passes it. */
const checked = async (jobId: string): Promise<ReadonlyArray<Envelope>> => {
  const events = await engine.store.readEvents(jobId);
  expect(Result.isSuccess(replay(events)), "the history replays").toBe(true);
  expect(await checkInvariants(engine, [jobId])).toEqual([]);
  const report = await auditOf(engine).verify({ jobId });
  expect(report.failures).toEqual([]);
  expect(report.checks).toContain("steps");
  return events;
};

const ofType = <T extends Envelope["type"]>(events: ReadonlyArray<Envelope>, type: T) =>
  events.filter((e): e is Extract<Envelope, { type: T }> => e.type === type);

describe("ctx.step", () => {
  it("a step's function runs once: a later attempt is given the recorded result", async () => {
    let charged = 0;
    const jobId = await submit(async (_payload, ctx) => {
      const receipt = await ctx.step("charge-card", async () => ({ receipt: `r-${++charged}` }));
      if (ctx.attempt === 1) throw new Error("the network blinked after the charge");
      return receipt;
    });
    await statusIs(jobId, "completed");
    expect(charged).toBe(1);
    expect(contextOf((await engine.jobs.get(jobId)).state).result).toEqual({ receipt: "r-1" });
    const events = await checked(jobId);
    expect(ofType(events, "StepCompleted").map((e) => [e.data.name, e.data.attempt])).toEqual([
      ["charge-card", 1],
    ]);
  });

  it("a step that throws is recorded as failed, rethrown, and run again by the next attempt", async () => {
    let runs = 0;
    const jobId = await submit(async (_payload, ctx) => {
      const value = await ctx.step("flaky", () => {
        runs += 1;
        if (runs === 1) throw Object.assign(new Error("declined"), { code: "card_declined" });
        return runs;
      });
      return { value };
    });
    await statusIs(jobId, "completed");
    expect(runs).toBe(2);
    const events = await checked(jobId);
    const failed = ofType(events, "StepFailed");
    expect(failed.map((e) => e.data.error.code)).toEqual(["card_declined"]);
    expect(ofType(events, "AttemptFailed")[0]?.data.error.code).toBe("card_declined");
    expect(ofType(events, "StepCompleted").map((e) => e.data.result)).toEqual([2]);
  });

  it("steps in a loop are keyed by index; each runs once across attempts", async () => {
    const runs = new Map<number, number>();
    const jobId = await submit(async (_payload, ctx) => {
      const out: Array<unknown> = [];
      for (let i = 0; i < 3; i++)
        out.push(await ctx.step("item", () => runs.set(i, (runs.get(i) ?? 0) + 1).get(i), { index: i }));
      if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} fails after the loop`);
      return out;
    });
    await statusIs(jobId, "completed");
    expect([...runs.values()]).toEqual([1, 1, 1]);
    expect(contextOf((await engine.jobs.get(jobId)).state).result).toEqual([1, 1, 1]);
    const events = await checked(jobId);
    expect(ofType(events, "StepCompleted").map((e) => e.data.index)).toEqual([0, 1, 2]);
  });

  it("a result that is not JSON, or too large, is refused as a step error (not retryable), and recorded", async () => {
    const seen: Array<string> = [];
    const jobId = await submit(async (_payload, ctx) => {
      for (const [name, value] of [
        ["fn", () => 1],
        ["big", "x".repeat(300 * 1024)],
        ["bigint", 10n],
      ] as const)
        await ctx
          .step(name, () => value)
          .catch((e: { code: string; retryable: boolean }) => {
            seen.push(`${name}:${e.code}:${e.retryable}`);
          });
      return seen;
    });
    await statusIs(jobId, "completed");
    expect(seen).toEqual([
      "fn:invalid_step_result:false",
      "big:invalid_step_result:false",
      "bigint:invalid_step_result:false",
    ]);
    const events = await checked(jobId);
    expect(ofType(events, "StepFailed").map((e) => e.data.name)).toEqual(["fn", "big", "bigint"]);
  });

  it("a duplicate step name in one attempt throws duplicate_step; bad names and indices are refused before anything runs", async () => {
    const seen: Array<string> = [];
    let ran = 0;
    const jobId = await submit(async (_payload, ctx) => {
      await ctx.step("once", () => ++ran);
      const attempts: ReadonlyArray<() => Promise<unknown>> = [
        () => ctx.step("once", () => ++ran),
        () => ctx.step("", () => ++ran),
        () => ctx.step("has space", () => ++ran),
        () => ctx.step("idx", () => ++ran, { index: -1 }),
        () => ctx.step("idx", () => ++ran, { index: 1.5 }),
        () => ctx.step("nofn", "not a function" as never),
        () => ctx.sleep("nap", Number.NaN),
        () => ctx.waitFor("sig", { timeoutMs: -5 }),
      ];
      for (const attempt of attempts)
        await attempt().catch((e: { code: string }) => {
          seen.push(e.code);
        });
      return ran;
    });
    await statusIs(jobId, "completed");
    expect(ran).toBe(1);
    expect(seen).toEqual([
      "duplicate_step",
      "invalid_step_name",
      "invalid_step_name",
      "invalid_step_index",
      "invalid_step_index",
      "invalid_step",
      "invalid_sleep",
      "invalid_timeoutMs",
    ]);
    await checked(jobId);
  });

  it("a step whose code changed is given its recorded result, and a log line says so", async () => {
    let runs = 0;
    const jobId = await submit(async (_payload, ctx) => {
      const version = ctx.attempt === 1 ? "v1" : "v2";
      const value = await ctx.step("versioned", () => ++runs, { version });
      if (ctx.attempt === 1) throw new Error("retry me");
      return value;
    });
    await statusIs(jobId, "completed");
    expect(runs).toBe(1);
    const events = await checked(jobId);
    const lines = ofType(events, "LogRecorded").map((e) => e.data.line);
    expect(lines.some((l) => l.includes("versioned: its code changed since attempt 1"))).toBe(true);
  });

  it("a step whose outcome cannot be recorded (the job was cancelled meanwhile) is not handed on", async () => {
    let seen = "";
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const jobId = await submit(async (_payload, ctx) => {
      try {
        await ctx.step("late", async () => {
          await gate;
          return "done";
        });
        seen = "returned";
      } catch (error) {
        seen = (error as { code: string }).code;
      }
    });
    await statusIs(jobId, "processing");
    await engine.jobs.cancel(jobId, apiActor, "changed my mind");
    release();
    await waitFor(() => seen !== "", "the step to settle");
    expect(["step_not_recorded", "attempt_over"]).toContain(seen);
    const events = await checked(jobId);
    expect(ofType(events, "StepCompleted")).toEqual([]);
  });
});

describe("ctx.sleep", () => {
  it("suspends the job without holding the worker, then resumes after the recorded steps", async () => {
    const ran = { before: 0, after: 0 };
    const jobId = await submit(
      async (_payload, ctx) => {
        await ctx.step("before", () => ++ran.before);
        await ctx.sleep("cool-down", 400);
        await ctx.step("after", () => ++ran.after);
        return ran;
      },
      { maxAttempts: 1 },
    );
    await statusIs(jobId, "suspended");
    const view = await engine.jobs.view(jobId);
    expect(view.suspension).toMatchObject({ kind: "sleep", name: "cool-down" });
    expect(worker.info().inFlight).toBe(0);
    await statusIs(jobId, "completed");
    expect(ran).toEqual({ before: 1, after: 1 });
    const events = await checked(jobId);
    expect(ofType(events, "JobSuspended").map((e) => e.data.name)).toEqual(["cool-down"]);
    expect(ofType(events, "JobQueued").map((e) => e.data.reason)).toContain("sleep_elapsed");
    // Two attempts with maxAttempts 1: the suspended one was given back.
    const done = await engine.jobs.view(jobId);
    expect([done.attempts, done.suspensions, done.maxAttempts]).toEqual([2, 1, 1]);
  });

  it("a suspended job can be cancelled: it ends cancelled and leaves the delayed set", async () => {
    const jobId = await submit(async (_payload, ctx) => {
      await ctx.sleep("long", 3_600_000);
    });
    await statusIs(jobId, "suspended");
    await engine.jobs.cancel(jobId, apiActor, "no longer needed");
    await statusIs(jobId, "cancelled");
    const shard = engine.store.keys.shardOf(jobId);
    expect(await engine.client.zscore(engine.store.keys.delayed(shard), jobId)).toBeNull();
    await checked(jobId);
  });
});

describe("ctx.waitFor and signals", () => {
  it("a signal wakes a waiting job, whose handler gets its payload; a repeat of it is refused", async () => {
    const jobId = await submit(async (_payload, ctx) => {
      const answer = await ctx.waitFor("approved", { timeoutMs: 60_000 });
      return answer;
    });
    await statusIs(jobId, "suspended");
    expect((await engine.jobs.view(jobId)).suspension).toMatchObject({ kind: "signal", name: "approved" });
    await engine.jobs.signal(jobId, apiActor, "approved", { by: "alice" });
    await statusIs(jobId, "completed");
    expect(contextOf((await engine.jobs.get(jobId)).state).result).toEqual({
      timedOut: false,
      payload: { by: "alice" },
    });
    const again = await engine.jobs.signal(jobId, apiActor, "other").catch((e: unknown) => e);
    expect(again).toBeInstanceOf(CommandRefused);
    expect((again as CommandRefused).code).toBe("illegal_transition");
    await checked(jobId);
  });

  it("a wait times out: the handler is told so, and a signal sent later does not change it", async () => {
    const answers: Array<unknown> = [];
    const jobId = await submit(async (_payload, ctx) => {
      const answer = await ctx.waitFor("never-sent", { timeoutMs: 200 });
      answers.push(answer);
      if (answers.length === 1) {
        // Sent after the timeout: kept, but the wait stays timed out on every later run.
        await engine.jobs.signal(ctx.jobId, apiActor, "never-sent", 1);
        throw new Error("run again");
      }
      return answer;
    });
    await statusIs(jobId, "completed");
    expect(answers).toEqual([{ timedOut: true }, { timedOut: true }]);
    const events = await checked(jobId);
    expect(ofType(events, "JobQueued").map((e) => e.data.reason)).toContain("wait_timed_out");
  });

  it("a signal sent before the handler waits is kept: the wait returns it without suspending", async () => {
    const jobId = await submit(async (_payload, ctx) => ctx.waitFor("early"), { delayMs: 300 });
    await engine.jobs.signal(jobId, apiActor, "early", "hello");
    const duplicate = await engine.jobs.signal(jobId, apiActor, "early", "again").catch((e: unknown) => e);
    expect((duplicate as CommandRefused).code).toBe("signal_already_received");
    await statusIs(jobId, "completed");
    expect(contextOf((await engine.jobs.get(jobId)).state).result).toEqual({
      timedOut: false,
      payload: "hello",
    });
    const events = await checked(jobId);
    expect(ofType(events, "JobSuspended")).toEqual([]);
  });

  it("a signal that arrives while the attempt runs, after the handler looked, re-queues the suspension at once", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const jobId = await submit(async (_payload, ctx) => {
      // The journal is read here (nothing recorded yet), then the signal lands before the wait.
      await gate;
      return ctx.waitFor("race");
    });
    await statusIs(jobId, "processing");
    await engine.jobs.signal(jobId, apiActor, "race", { won: true });
    release();
    await statusIs(jobId, "completed");
    const events = await checked(jobId);
    expect(ofType(events, "JobQueued").map((e) => e.data.reason)).toContain("signal_received");
    expect(contextOf((await engine.jobs.get(jobId)).state).result).toEqual({
      timedOut: false,
      payload: { won: true },
    });
  });

  it("signals are validated: a name that cannot be recorded, an oversized payload, an unknown job", async () => {
    const jobId = await submit(async () => {
      throw new NonRetryableError("not meant to run");
    });
    await statusIs(jobId, "dead_letter");
    const tooBig = await engine.jobs
      .signal(jobId, apiActor, "big", "x".repeat(70 * 1024))
      .catch((e: unknown) => e);
    expect((tooBig as { _tag: string })._tag).toBe("InvalidJobSpec");
    const unknown = await engine.jobs.signal("no-such-job", apiActor, "x").catch((e: unknown) => e);
    expect((unknown as { _tag: string })._tag).toBe("JobNotFound");
  });
});

describe("the audit verifier and durable steps", () => {
  it("reports a step result recorded twice (a replay that ran the step again)", async () => {
    const jobId = await submit(async (_payload, ctx) => {
      await new Promise((r) => setTimeout(r, 60_000));
      return ctx.attempt;
    });
    await statusIs(jobId, "processing");
    const head = await engine.jobs.get(jobId);
    const attempt = contextOf(head.state).attempt;
    const { JobWriter } = await import("../src/engine/write/index.ts");
    const { systemClock } = await import("../src/engine/shared/index.ts");
    const writer = new JobWriter(engine.store, systemClock);
    // The decider drops a repeat of the step just recorded (a lost answer); a forger interleaves.
    for (const [i, name] of ["charge", "other", "charge"].entries())
      await writer.write({
        jobId,
        command: () => ({
          type: "RecordStep",
          at: new Date().toISOString(),
          actor: { kind: "worker", id: "forger" },
          attempt,
          name,
          fingerprint: "0123456789abcdef",
          outcome: { result: i },
        }),
      });
    const report = await auditOf(engine).verify({ jobId });
    expect(report.failures.map((f) => [f.check, f.code])).toEqual([["steps", "step_recorded_twice"]]);
    await engine.jobs.cancel(jobId, apiActor);
  });
});

describe("durable steps in a handler thread", () => {
  it("misuse crosses back as StepError with its code; attempt 2 replays attempt 1's step", async () => {
    const { worker: threaded } = await startWorker(
      engine,
      {},
      {
        queues: ["threads"],
        leaseMs: 60_000,
        isolation: { kind: "thread", module: new URL("./fixtures/thread-handlers.ts", import.meta.url).href },
      },
    );
    try {
      const { jobId } = await engine.jobs.submit(
        { type: "durable-hostile", queue: "threads", maxAttempts: 2, backoff: { type: "fixed", delayMs: 0 } },
        apiActor,
      );
      await statusIs(jobId, "completed", "dead_letter");
      expect(contextOf((await engine.jobs.get(jobId)).state).result).toEqual({
        first: { attempt: 1 },
        seen: [
          "StepError:duplicate_step:false",
          "StepError:invalid_step_result:false",
          "StepError:invalid_step_name:false",
          "Error:card_declined:undefined",
          "StepError:invalid_sleep:false",
        ],
      });
      const events = await checked(jobId);
      expect(ofType(events, "StepCompleted").map((e) => [e.data.name, e.data.attempt])).toEqual([
        ["first", 1],
      ]);
      expect(ofType(events, "StepFailed").map((e) => e.data.error.code)).toEqual([
        "invalid_step_result",
        "card_declined",
        "invalid_step_result",
        "card_declined",
      ]);
    } finally {
      await threaded.stop(100);
    }
  });
});
