/**
 * Durable steps (ADR 0043), pure parts: the decider's given/when/then for steps, suspensions and
 * signals; the step journal and the verifier's step rule; and the handler-side helpers that turn
 * whatever a handler passes into what an event can hold.
 */
import { describe, expect, it } from "vitest";
import {
  contextOf,
  emptyHead,
  fold,
  seal,
  type JobEvent,
  journalOf,
  MAX_STEP_RESULT_BYTES,
  statusOf,
  stepProblem,
} from "../src/domain/index.ts";
import { auditValues, explain } from "../src/engine/audit/index.ts";
import { fingerprintOf, stepKeyOf, stepOutcomeOf, sleepArgs, waitArgs } from "../src/engine/worker/steps.ts";
import { given } from "./support/decider-spec.ts";
import {
  client,
  failedRetryable,
  requeued,
  scheduler,
  spec,
  started,
  submitted,
  t,
  worker,
} from "./support/fixtures.ts";

const FP = "0123456789abcdef";
const stepDone = (attempt: number, name: string, result: unknown, index?: number): JobEvent => ({
  type: "StepCompleted",
  at: t(attempt * 100 + 10),
  actor: worker,
  data: {
    attempt,
    name,
    ...(index === undefined ? {} : { index }),
    fingerprint: FP,
    result: result as never,
  },
});
const suspendedFor = (attempt: number, kind: "sleep" | "signal", name: string, until: string): JobEvent => ({
  type: "JobSuspended",
  at: t(attempt * 100 + 20),
  actor: worker,
  data: { attempt, kind, name, until },
});
const signal = (name: string, at: string, payload?: unknown): JobEvent => ({
  type: "SignalReceived",
  at,
  actor: client,
  data: { name, ...(payload === undefined ? {} : { payload: payload as never }) },
});

describe("decide: durable steps", () => {
  it("the current attempt records a step's result", () => {
    given(submitted(), started(1))
      .when({
        type: "RecordStep",
        at: t(110),
        actor: worker,
        attempt: 1,
        name: "charge",
        fingerprint: FP,
        outcome: { result: { ok: true } },
      })
      .thenEvents([stepDone(1, "charge", { ok: true })]);
  });

  it("a repeat of the step outcome just recorded (its answer lost) appends nothing; the same key in a later attempt is recorded", () => {
    const command = {
      type: "RecordStep",
      at: t(111),
      actor: worker,
      attempt: 1,
      name: "charge",
      fingerprint: FP,
      outcome: { result: { ok: true } },
    } as const;
    given(submitted(), started(1), stepDone(1, "charge", { ok: true }))
      .when(command)
      .thenEvents([]);
    given(submitted(), started(1), stepDone(1, "charge", { ok: true }))
      .when({ ...command, index: 0 })
      .thenEvents([{ ...stepDone(1, "charge", { ok: true }, 0), at: t(111) }]);
  });

  it("a repeat of a suspension that was recorded appends nothing", () => {
    given(submitted(), started(1), suspendedFor(1, "sleep", "nap", t(500)))
      .when({
        type: "SuspendAttempt",
        at: t(121),
        actor: worker,
        attempt: 1,
        kind: "sleep",
        name: "nap",
        until: t(500),
      })
      .thenEvents([]);
  });

  it("a stale attempt's step is refused", () => {
    given(submitted(), started(1), failedRetryable(1, t(150)), requeued(t(150)), started(2, t(200)))
      .when({
        type: "RecordStep",
        at: t(210),
        actor: worker,
        attempt: 1,
        name: "charge",
        fingerprint: FP,
        outcome: { result: 1 },
      })
      .thenRejected("stale_attempt");
  });

  it("a sleep suspends the job until its time; the scheduler queues it then, not before", () => {
    const asleep = [submitted(), started(1), suspendedFor(1, "sleep", "nap", t(500))];
    given(submitted(), started(1))
      .when({
        type: "SuspendAttempt",
        at: t(120),
        actor: worker,
        attempt: 1,
        kind: "sleep",
        name: "nap",
        until: t(500),
      })
      .thenEvents([{ ...suspendedFor(1, "sleep", "nap", t(500)), at: t(120) }]);
    given(...asleep)
      .when({ type: "PromoteJob", at: t(400), actor: scheduler })
      .thenRejected("not_due");
    given(...asleep)
      .when({ type: "PromoteJob", at: t(500), actor: scheduler })
      .thenEvents([{ type: "JobQueued", at: t(500), actor: scheduler, data: { reason: "sleep_elapsed" } }]);
  });

  it("a suspended attempt is given back: a job of maxAttempts 1 runs again after its sleep", () => {
    const state = fold([
      submitted(spec({ maxAttempts: 1 })),
      started(1),
      suspendedFor(1, "sleep", "nap", t(500)),
      { type: "JobQueued", at: t(500), actor: scheduler, data: { reason: "sleep_elapsed" } },
    ]);
    expect(statusOf(state)).toBe("queued");
    given(submitted(spec({ maxAttempts: 1 })), started(1), suspendedFor(1, "sleep", "nap", t(500)), {
      type: "JobQueued",
      at: t(500),
      actor: scheduler,
      data: { reason: "sleep_elapsed" },
    })
      .when({ type: "StartAttempt", at: t(600), actor: worker, attempt: 2 })
      .thenEvents([started(2, t(600))]);
  });

  it("the awaited signal re-queues a waiting job; another is kept", () => {
    const waiting = [submitted(), started(1), suspendedFor(1, "signal", "approved", t(9000))];
    given(...waiting)
      .when({ type: "SignalJob", at: t(300), actor: client, name: "approved", payload: 1 })
      .thenEvents([signal("approved", t(300), 1)]);
    expect(statusOf(fold([...waiting, signal("approved", t(300), 1)]))).toBe("queued");
    expect(statusOf(fold([...waiting, signal("other", t(300))]))).toBe("suspended");
  });

  it("a wait for a signal received during the attempt is suspended and re-queued in one append", () => {
    given(submitted(), started(1), signal("approved", t(105)))
      .when({
        type: "SuspendAttempt",
        at: t(120),
        actor: worker,
        attempt: 1,
        kind: "signal",
        name: "approved",
        until: t(900),
      })
      .thenEvents([
        { ...suspendedFor(1, "signal", "approved", t(900)), at: t(120) },
        { type: "JobQueued", at: t(120), actor: worker, data: { reason: "signal_received" } },
      ]);
  });

  it("a repeated signal, or one to a finished job, is refused", () => {
    given(submitted(), signal("a", t(1)))
      .when({ type: "SignalJob", at: t(2), actor: client, name: "a" })
      .thenRejected("signal_already_received");
    given(submitted(), { type: "JobCancelled", at: t(1), actor: client, data: {} })
      .when({ type: "SignalJob", at: t(2), actor: client, name: "a" })
      .thenRejected("illegal_transition");
  });

  it("a suspended job can be cancelled", () => {
    given(submitted(), started(1), suspendedFor(1, "sleep", "nap", t(500)))
      .when({ type: "CancelJob", at: t(200), actor: client })
      .thenEvents([{ type: "JobCancelled", at: t(200), actor: client, data: {} }]);
  });
});

describe("the step journal", () => {
  it("holds each step's first result, the sleeps taken and the waits answered", () => {
    const journal = journalOf([
      submitted(),
      started(1),
      stepDone(1, "a", 1),
      stepDone(1, "a", 2, 0),
      suspendedFor(1, "signal", "late", t(300)),
      { type: "JobQueued", at: t(300), actor: scheduler, data: { reason: "wait_timed_out" } },
      signal("late", t(301), "too late"),
      signal("early", t(302), { x: 1 }),
      started(2, t(400)),
      suspendedFor(2, "sleep", "nap", t(500)),
    ]);
    expect(journal.steps.get("a")?.result).toBe(1);
    expect(journal.steps.get("a#0")?.result).toBe(2);
    expect([...journal.sleeps]).toEqual(["nap"]);
    expect(journal.waits.get("late")).toEqual({ timedOut: true });
    expect(journal.waits.get("early")).toEqual({ timedOut: false, payload: { x: 1 } });
    expect(journal.waits.get("never")).toBeUndefined();
  });

  it("the verifier's rule: a second StepCompleted, or a StepFailed after one, for the same key", () => {
    const base = [submitted(), started(1), stepDone(1, "a", 1)];
    expect(stepProblem(base)).toBeUndefined();
    expect(stepProblem([...base, stepDone(1, "a", 2, 3)])).toBeUndefined();
    expect(stepProblem([...base, stepDone(2, "a", 2)])?.index).toBe(3);
    const rerun: JobEvent = {
      type: "StepFailed",
      at: t(220),
      actor: worker,
      data: { attempt: 2, name: "a", fingerprint: FP, error: { code: "x", message: "m", retryable: true } },
    };
    expect(stepProblem([...base, rerun])?.message).toContain("ran again in attempt 2");
  });

  it("the head keeps counts, not results: the context of a job with steps stays small", () => {
    const context = contextOf(fold([submitted(), started(1), stepDone(1, "a", { big: "x".repeat(1000) })]));
    expect(context.steps).toBe(1);
    expect(JSON.stringify(context).length).toBeLessThan(1000);
  });
});

describe("the handler's side of a step", () => {
  it("a result is a bounded JSON copy; anything else is an invalid_step_result, not retryable", () => {
    expect(stepOutcomeOf(undefined)).toEqual({ result: null });
    expect(stepOutcomeOf({ a: [1, "b", null] })).toEqual({ result: { a: [1, "b", null] } });
    for (const bad of [
      new Date(0),
      () => 1,
      1n,
      Symbol("s"),
      Number.NaN,
      "x".repeat(MAX_STEP_RESULT_BYTES + 1),
    ])
      expect(stepOutcomeOf(bad)).toMatchObject({ error: { code: "invalid_step_result", retryable: false } });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(stepOutcomeOf(cyclic)).toMatchObject({ error: { code: "invalid_step_result" } });
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error("trap");
        },
      },
    );
    expect(stepOutcomeOf(hostile)).toMatchObject({ error: { code: "invalid_step_result" } });
  });

  it("the fingerprint follows the code, or the version named instead", () => {
    const a = () => 1;
    const b = () => 2;
    expect(fingerprintOf(a, undefined)).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprintOf(a, undefined)).not.toBe(fingerprintOf(b, undefined));
    expect(fingerprintOf(a, { version: "v1" })).toBe(fingerprintOf(b, { version: "v1" }));
    expect(fingerprintOf(a, { version: "\ud800" })).toMatch(/^[0-9a-f]{16}$/);
  });

  it("keys, sleeps and waits are checked before anything is recorded", () => {
    expect(stepKeyOf("a", { index: 3 })).toEqual({ name: "a", index: 3 });
    expect(() => stepKeyOf("a#b", undefined)).toThrow(/name/);
    expect(() => stepKeyOf("a", { index: 2 ** 40 })).toThrow(/index/);
    expect(sleepArgs("n", 1.7)).toEqual({ name: "n", ms: 1 });
    expect(() => sleepArgs("n", Number.POSITIVE_INFINITY)).toThrow(/sleep/);
    expect(waitArgs("go", undefined).timeoutMs).toBeGreaterThan(0);
    expect(() => waitArgs("go", { timeoutMs: "5" })).toThrow(/timeoutMs/);
  });
});

describe("explain and the job log of a durable job", () => {
  it("tell the steps, the sleep, the signal and the attempts that count", () => {
    const events: ReadonlyArray<JobEvent> = [
      submitted(spec({ maxAttempts: 1 })),
      started(1),
      stepDone(1, "charge", { receipt: 1 }),
      suspendedFor(1, "signal", "approved", t(900)),
      signal("approved", t(300), { by: "alice" }),
      started(2, t(400)),
      { type: "JobCompleted", at: t(401), actor: worker, data: { attempt: 2, result: null } },
    ];
    const explanation = explain(auditValues("job-1", seal(emptyHead("job-1"), events).envelopes));
    expect(explanation.sentences.map((s) => s.kind)).toEqual([
      "submitted",
      "attempt_started",
      "step_completed",
      "suspended",
      "signal_received",
      "attempt_started",
      "completed",
    ]);
    expect(explanation.sentences[4]?.text).toContain("which the job was waiting for: it was queued again");
    expect(explanation.sentences[5]?.text).toContain(
      "1 of 1 attempts counted: 1 suspended attempt given back",
    );
    expect(explanation.summary).toContain("Completed on attempt 1 of 1");
    expect(explanation.attempts.map((a) => [a.outcome, a.steps])).toEqual([
      ["suspended", 1],
      ["completed", 0],
    ]);
  });
});
