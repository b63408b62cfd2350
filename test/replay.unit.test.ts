import { readFileSync } from "node:fs";
import * as Result from "effect/Result";
import { describe, expect, it } from "vitest";
import {
  emptyHead,
  type Envelope,
  type JobEvent,
  MACHINE_VERSION,
  replay,
  seal,
  verifyChain,
} from "../src/domain/index.ts";
import {
  client,
  failedForGood,
  failedRetryable,
  operator,
  spec,
  started,
  submitted,
  t,
  worker,
} from "./support/fixtures.ts";

const golden = (name: string): ReadonlyArray<unknown> =>
  JSON.parse(readFileSync(new URL(`./golden/${name}`, import.meta.url), "utf8")) as ReadonlyArray<unknown>;

describe("strict replay", () => {
  it("a recorded golden history still replays under the current machine, state by state", () => {
    const result = replay(golden("job-history.json"));
    if (Result.isFailure(result)) throw new Error(result.failure.failure.reason);
    expect(result.success.steps.map((s) => s.status)).toEqual([
      "queued",
      "processing",
      "processing",
      "processing",
      "failed",
      "queued",
      "processing",
      "failed",
      "dead_letter",
      "queued",
      "processing",
      "completed",
    ]);
    expect(result.success.state.context).toMatchObject({
      attempt: 3,
      maxAttempts: 4,
      result: { messageId: "<m1@example.com>" },
    });
  });

  it("a tampered copy of the golden history is refused at the edited event", () => {
    const result = replay(golden("job-history.tampered.json"));
    expect(Result.isFailure(result) && result.failure.failure).toMatchObject({
      seq: 8,
      code: "hash_mismatch",
    });
  });

  it("an illegal transition is reported with its seq and the state it was refused in", () => {
    const completedTwice: ReadonlyArray<JobEvent> = [
      submitted(),
      started(1),
      { type: "JobCompleted", at: t(101), actor: worker, data: { attempt: 1, result: 1 } },
      { type: "JobCompleted", at: t(102), actor: worker, data: { attempt: 1, result: 2 } },
    ];
    const { envelopes } = seal(emptyHead("job-1"), completedTwice);
    expect(Result.isSuccess(verifyChain(envelopes))).toBe(true);
    const result = replay(envelopes);
    expect(Result.isFailure(result) && result.failure.failure).toEqual({
      seq: 4,
      code: "illegal_transition",
      reason: "JobCompleted is not allowed in state completed",
    });
    expect(Result.isFailure(result) && result.failure.steps.length).toBe(3);
  });

  it("a malformed envelope is reported as invalid at its seq, with the schema's reason", () => {
    const { envelopes } = seal(emptyHead("job-1"), [submitted()]);
    const broken = [{ ...envelopes[0], data: { spec: { jobType: "" } } }];
    const result = replay(broken);
    expect(Result.isFailure(result) && result.failure.failure.code).toBe("invalid_envelope");
    expect(Result.isFailure(result) && result.failure.failure.seq).toBe(1);
  });

  it("an empty history and a history of another job's event are refused", () => {
    const empty = replay([]);
    expect(Result.isFailure(empty) && empty.failure.failure.code).toBe("empty_history");
    const a = seal(emptyHead("job-a"), [submitted()]).envelopes;
    const b = seal({ jobId: "job-b", version: 1, lastHash: a[0]?.hash ?? "" }, [
      { type: "JobCancelled", at: t(1), actor: client, data: {} },
    ]).envelopes;
    const mixed = verifyChain([...a, ...b]);
    expect(Result.isFailure(mixed) && mixed.failure).toMatchObject({ seq: 2, code: "job_id_mismatch" });
  });

  it("the golden history records its dead letter as an event of its own, in the failure's append", () => {
    const envelopes = golden("job-history.json") as ReadonlyArray<Envelope>;
    expect(envelopes.map((e) => e.machineVersion)).toEqual(envelopes.map(() => MACHINE_VERSION));
    const [failure, dead] = [envelopes[7], envelopes[8]];
    expect(failure).toMatchObject({ seq: 8, type: "AttemptFailed", data: { attempt: 2 } });
    expect(dead).toMatchObject({
      seq: 9,
      type: "JobDeadLettered",
      at: failure?.at,
      actor: failure?.actor,
      data: { reason: "attempts_exhausted", attempt: 2, maxAttempts: 2, errorCode: "lease_expired" },
    });
  });

  it("a history recorded under machine version 1 is refused, not upcast", () => {
    const { envelopes } = seal(emptyHead("job-1"), [submitted()]);
    const result = replay([{ ...envelopes[0], machineVersion: 1 }]);
    expect(Result.isFailure(result) && result.failure.failure).toMatchObject({
      seq: 1,
      code: "invalid_envelope",
    });
  });
});

describe("strict replay of dead letters", () => {
  const permanent = { code: "bad_input", message: "no such user", retryable: false } as const;
  const boom = { code: "handler_error", message: "boom", retryable: true } as const;
  const failure = (events: ReadonlyArray<JobEvent>) => {
    const result = replay(seal(emptyHead("job-1"), events).envelopes);
    return Result.isFailure(result) ? result.failure.failure : null;
  };

  it("a failure and its dead letter replay to dead_letter", () => {
    const result = replay(
      seal(emptyHead("job-1"), [submitted(), started(1), ...failedForGood(1, permanent, "not_retryable", 3)])
        .envelopes,
    );
    expect(Result.isSuccess(result) && result.success.steps.map((s) => s.status)).toEqual([
      "queued",
      "processing",
      "failed",
      "dead_letter",
    ]);
  });

  it("a history that ends between a failure allowing no retry and its dead letter is refused where the dead letter belongs", () => {
    const [failed] = failedForGood(1, permanent, "not_retryable", 3);
    expect(failure([submitted(), started(1), failed as JobEvent])).toMatchObject({
      seq: 4,
      code: "dead_letter_missing",
    });
  });

  it("nothing but the dead letter may follow a failure that allows no retry", () => {
    const [failed] = failedForGood(1, permanent, "not_retryable", 3);
    const retried: JobEvent = {
      type: "JobRetried",
      at: t(500),
      actor: operator,
      data: { reason: "skip the dead letter", maxAttempts: 4 },
    };
    const cancelled: JobEvent = { type: "JobCancelled", at: t(500), actor: client, data: {} };
    const queued: JobEvent = { type: "JobQueued", at: t(500), actor: client, data: { reason: "retry_due" } };
    for (const next of [retried, cancelled, queued])
      expect(failure([submitted(), started(1), failed as JobEvent, next])).toMatchObject({
        seq: 4,
        code: "illegal_transition",
      });
  });

  it("a dead letter where a retry was due is an illegal transition", () => {
    const dead: JobEvent = {
      type: "JobDeadLettered",
      at: t(101),
      actor: worker,
      data: { reason: "attempts_exhausted", attempt: 1, maxAttempts: 3, errorCode: "handler_error" },
    };
    expect(failure([submitted(), started(1), failedRetryable(1, t(111)), dead])).toMatchObject({
      seq: 4,
      code: "illegal_transition",
      reason: "JobDeadLettered is not allowed in state failed",
    });
  });

  it("a dead letter that misstates its failure (reason, attempt, cap or error code) is an illegal transition", () => {
    const honest = failedForGood(1, permanent, "not_retryable", 3);
    const [failed, dead] = honest as [JobEvent, Extract<JobEvent, { type: "JobDeadLettered" }>];
    expect(failure([submitted(), started(1), ...honest])).toBeNull();
    for (const data of [
      { ...dead.data, reason: "attempts_exhausted" as const },
      { ...dead.data, attempt: 2 },
      { ...dead.data, maxAttempts: 1 },
      { ...dead.data, errorCode: "handler_error" },
    ])
      expect(failure([submitted(), started(1), failed, { ...dead, data }])).toMatchObject({
        seq: 4,
        code: "illegal_transition",
      });
  });

  it("attempts spent with a retryable error are named attempts_exhausted, never not_retryable", () => {
    const s = spec({ maxAttempts: 1 });
    expect(
      failure([submitted(s), started(1), ...failedForGood(1, boom, "attempts_exhausted", 1)]),
    ).toBeNull();
    expect(failure([submitted(s), started(1), ...failedForGood(1, boom, "not_retryable", 1)])).toMatchObject({
      seq: 4,
      code: "illegal_transition",
    });
  });

  it("a dead letter on its own, with no failure before it, is an illegal transition", () => {
    const [, dead] = failedForGood(1, permanent, "not_retryable", 3);
    expect(failure([submitted(), started(1), dead as JobEvent])).toMatchObject({
      seq: 3,
      code: "illegal_transition",
    });
  });
});
