/**
 * What the handler-outcome properties (in-process and in threads) check of each job: its first
 * attempt ends with an outcome the worker itself recorded, within the lease (never lease_expired,
 * the real outcome lost), the job is in a terminal or retry state, and every event it left is one
 * every reader accepts, replaying through the machine.
 */
import * as Result from "effect/Result";
import { expect } from "vitest";
import { decodeEnvelope, type Envelope, replay } from "../../src/domain/index.ts";
import type { TestEngine } from "../../test/support/engine.ts";

/** Poll the job's own history until attempt 1 has an outcome, for at most `withinMs`. */
const outcomeOf = async (
  engine: TestEngine,
  jobId: string,
  withinMs: number,
): Promise<ReadonlyArray<Envelope>> => {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const events = await engine.store.readEvents(jobId);
    if (events.some((e) => e.type === "JobCompleted" || e.type === "AttemptFailed")) return events;
    if (Date.now() > deadline)
      throw new Error(`job ${jobId}: no outcome within the lease (${events.map((e) => e.type)})`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** Wait for the job's first outcome and check it as above; returns the outcome event. */
export const expectRecordedOutcome = async (
  engine: TestEngine,
  jobId: string,
  leaseMs: number,
  marginMs: number,
): Promise<Envelope> => {
  const events = await outcomeOf(engine, jobId, leaseMs + marginMs);
  const started = events.find((e) => e.type === "AttemptStarted");
  const outcome = events.find((e) => e.type === "JobCompleted" || e.type === "AttemptFailed");
  if (started === undefined || outcome === undefined) throw new Error("no attempt or no outcome");
  expect(outcome.actor.kind).toBe("worker");
  if (outcome.type === "AttemptFailed") expect(outcome.data.error.code).not.toBe("lease_expired");
  expect(Date.parse(outcome.at) - Date.parse(started.at)).toBeLessThan(leaseMs);
  const status = (await engine.jobs.get(jobId)).state.value;
  expect(["completed", "failed", "dead_letter"]).toContain(status);
  for (const envelope of events) {
    const decoded = decodeEnvelope(JSON.parse(JSON.stringify(envelope)));
    expect(Result.isSuccess(decoded), Result.isFailure(decoded) ? decoded.failure : "").toBe(true);
  }
  expect(Result.isSuccess(replay(events))).toBe(true);
  return outcome;
};
