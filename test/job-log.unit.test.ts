/**
 * A job's log read from its history (src/engine/read/job-log.ts): the lines a dead letter, a
 * manual retry and a cancel give, with the actor named, and none for progress.
 */
import { describe, expect, it } from "vitest";
import type { Envelope } from "../src/domain/index.ts";
import { jobLogOf } from "../src/engine/read/index.ts";

let seq = 0;
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const event = (type: string, data: unknown, actor = { kind: "worker", id: "w-1" }): Envelope =>
  ({ jobId: "j", seq: ++seq, type, at: at(seq), actor, data }) as unknown as Envelope;

describe("a job's log", () => {
  it("names dead letters, manual retries and cancels with who did them; progress is no line", () => {
    seq = 0;
    const spec = { jobType: "mail", queue: "q", priority: "high", maxAttempts: 1 };
    const lines = jobLogOf([
      event("JobSubmitted", { spec, runAt: at(30) }, { kind: "client", id: "alice" }),
      event("JobQueued", { reason: "delay_elapsed" }, { kind: "scheduler", id: "w-1" }),
      event("AttemptStarted", { attempt: 1 }),
      event("ProgressReported", { attempt: 1, progress: { current: 1, total: 2 } }),
      event("AttemptFailed", { attempt: 1, error: { code: "boom", message: "no", retryable: false } }),
      event("JobDeadLettered", { reason: "not_retryable", attempt: 1, maxAttempts: 1, errorCode: "boom" }),
      event("JobRetried", { reason: "fixed it", maxAttempts: 2 }, { kind: "operator", id: "bob" }),
      event("AttemptStarted", { attempt: 2 }),
      event("JobCancelled", { reason: "enough" }, { kind: "client", id: "carol" }),
    ]);
    expect(lines.map((l) => `${l.seq} ${l.attempt ?? "-"} ${l.line}`)).toEqual([
      `1 - Submitted mail job to queue q (priority high), to run at ${at(30)}`,
      "2 - Queued (its delay elapsed)",
      "3 1 Executing mail job (attempt 1 of 1) on w-1",
      "5 1 Job failed: boom: no",
      "6 1 Dead-lettered (not retryable) after attempt 1 of 1",
      "7 - Retried by operator bob: fixed it (up to attempt 2)",
      "8 2 Executing mail job (attempt 2 of 2) on w-1",
      "9 - Cancelled by client carol: enough",
    ]);
    expect(lines.every((l) => l.source === "docket")).toBe(true);
  });
});
