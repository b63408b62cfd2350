import { readFileSync } from "node:fs";
import * as Result from "effect/Result";
import { describe, expect, it } from "vitest";
import { emptyHead, type JobEvent, replay, seal, verifyChain } from "../src/domain/index.ts";
import { client, started, submitted, t, worker } from "./support/fixtures.ts";

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
});
