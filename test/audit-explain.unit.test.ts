/** Pure audit pieces: the bundle doc's worked example, and explain on hand-built histories. */
import { describe, expect, it } from "vitest";
import { emptyHead, type JobEvent, seal, sha256Hex, hashedText } from "../src/domain/index.ts";
import { auditValues, explain } from "../src/engine/audit/index.ts";
import { client, failedForGood, spec, started, submitted, t, worker } from "./support/fixtures.ts";

describe("docs/audit-bundle.md worked example", () => {
  it("hashes to the value the document shows", () => {
    const { envelopes } = seal(emptyHead("job-1"), [
      {
        type: "JobSubmitted",
        at: "2026-01-01T00:00:00.000Z",
        actor: client,
        data: { spec: spec({ payload: { to: "a@example.com" }, backoff: { type: "fixed", delayMs: 1000 } }) },
      },
      {
        type: "AttemptStarted",
        at: "2026-01-01T00:00:01.000Z",
        actor: { kind: "worker", id: "w-1" },
        data: { attempt: 1 },
      },
    ]);
    expect(envelopes.map((e) => e.hash)).toEqual([
      "842e7124dee97726ffe4b30f3f93ea0d785e8b922f849c3b72681fadedc323d2",
      "9bfd73bc2fba6018e8f2db7b4f7252607c755ceb0acb64d8768bb2d1adf7806d",
    ]);
    expect(sha256Hex(hashedText(envelopes[0] as never))).toBe(envelopes[0]?.hash);
  });
});

describe("explain", () => {
  const reclaimer = { kind: "worker" as const, id: "worker-b" };
  const leaseLost = (attempt: number, at: string, retryAt?: string): JobEvent => ({
    type: "AttemptFailed",
    at,
    actor: reclaimer,
    data: {
      attempt,
      error: {
        code: "lease_expired",
        message: `attempt ${attempt} held its lease too long`,
        retryable: true,
      },
      ...(retryAt === undefined ? {} : { retryAt }),
    },
  });
  const history = (events: ReadonlyArray<JobEvent>) =>
    auditValues("job-1", seal(emptyHead("job-1"), events).envelopes);

  it("tells a job whose worker died every time: reclaimed leases until attempts ran out", () => {
    const events: Array<JobEvent> = [
      submitted(spec({ maxAttempts: 2 })),
      started(1, t(10)),
      leaseLost(1, t(40), t(50)),
      { type: "JobQueued", at: t(50), actor: { kind: "scheduler", id: "s" }, data: { reason: "retry_due" } },
      started(2, t(60)),
      leaseLost(2, t(90)),
      {
        type: "JobDeadLettered",
        at: t(90),
        actor: reclaimer,
        data: { reason: "attempts_exhausted", attempt: 2, maxAttempts: 2, errorCode: "lease_expired" },
      },
    ];
    const explanation = explain(history(events));
    expect(explanation.status).toBe("dead_letter");
    expect(explanation.sentences.filter((s) => s.kind === "lease_expired").map((s) => s.text)).toEqual([
      "Attempt 1 was abandoned: its worker (worker worker-a) stopped renewing its lease, and worker worker-b reclaimed it (lease_expired). A retry was scheduled for 2026-01-01T00:00:50.000Z (10 s later).",
      "Attempt 2 was abandoned: its worker (worker worker-a) stopped renewing its lease, and worker worker-b reclaimed it (lease_expired).",
    ]);
    // Why it was dead-lettered is read off the JobDeadLettered event, at its own seq.
    expect(explanation.sentences.filter((s) => s.kind === "dead_lettered")).toEqual([
      expect.objectContaining({
        seq: 7,
        actor: reclaimer,
        text: "That was the last allowed attempt (2 of 2), so the job was dead-lettered.",
      }),
    ]);
    expect(explanation.summary).toBe(
      "Dead-lettered at 2026-01-01T00:01:30.000Z after attempt 2 of 2: all 2 allowed attempts were used (lease_expired: attempt 2 held its lease too long).",
    );
    expect(explanation.attempts.map((a) => [a.attempt, a.outcome, a.error?.code])).toEqual([
      [1, "failed", "lease_expired"],
      [2, "failed", "lease_expired"],
    ]);
  });

  it("says so when the history is broken, and explains only the part before the break", () => {
    const { envelopes } = seal(emptyHead("job-1"), [submitted(), started(1, t(10))]);
    const tampered = [envelopes[0], { ...envelopes[1], actor: worker, data: { attempt: 5 } }];
    const explanation = explain(auditValues("job-1", tampered));
    expect(explanation.integrity).toMatchObject({ seq: 2, code: "hash_mismatch" });
    expect(explanation.sentences.map((s) => s.kind)).toEqual(["submitted"]);
    expect(explanation.summary).toBe("Queued, waiting for a worker (0 of 3 attempts used).");
  });

  it("tells a job dead-lettered for a non-retryable error, from the dead letter's own reason", () => {
    const permanent = { code: "bad_input", message: "no such user", retryable: false } as const;
    const explanation = explain(
      history([submitted(), started(1, t(10)), ...failedForGood(1, permanent, "not_retryable", 3, t(20))]),
    );
    expect(explanation.sentences.map((s) => [s.seq, s.kind])).toEqual([
      [1, "submitted"],
      [2, "attempt_started"],
      [3, "attempt_failed"],
      [4, "dead_lettered"],
    ]);
    expect(explanation.sentences[3]?.text).toBe("The error is not retryable, so the job was dead-lettered.");
    expect(explanation.summary).toBe(
      "Dead-lettered at 2026-01-01T00:00:20.000Z after attempt 1 of 3: its last error is not retryable (bad_input: no such user).",
    );
  });
});
