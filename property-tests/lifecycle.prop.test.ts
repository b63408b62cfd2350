/**
 * Invariants of the job lifecycle, over random histories decided and folded as the engine does.
 */
import * as Result from "effect/Result";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  accepts,
  contextOf,
  decide,
  evolve,
  isTerminal,
  type JobEvent,
  statusOf,
  TERMINAL_STATES,
} from "../src/domain/index.ts";
import { historyArb, runHistory, START_TIME, stepArb, toCommand } from "./support/history.ts";

describe("job lifecycle invariants", () => {
  it("terminal states accept nothing more but one JobEvicted (dead_letter also an explicit manual retry, or, when a dependency's failure put it there, that dependency's later ends and its release, or a cancel, before it)", () => {
    fc.assert(
      fc.property(historyArb, fc.array(stepArb, { minLength: 1, maxLength: 20 }), (steps, probes) => {
        const { final } = runHistory(steps);
        fc.pre(isTerminal(final));
        for (const [i, probe] of probes.entries()) {
          const decision = decide(toCommand(probe.intent, final, START_TIME + 10 ** 10, i), final);
          const events = Result.isSuccess(decision) ? decision.success : [];
          for (const event of events) {
            if (event.type === "JobEvicted") {
              expect(contextOf(final).evicted).toBe(false);
              continue;
            }
            expect(statusOf(final)).toBe("dead_letter");
            expect(contextOf(final).evicted).toBe(false);
            if (
              event.type === "DependencyEnded" ||
              event.type === "JobReleased" ||
              event.type === "JobCancelled"
            )
              expect(contextOf(final).failedBy).not.toBeNull();
            else expect(event.type).toBe("JobRetried");
          }
        }
      }),
    );
  });

  it("attempts never exceed maxAttempts, in any state of any history", () => {
    fc.assert(
      fc.property(historyArb, (steps) => {
        for (const state of runHistory(steps).states) {
          const { attempt, maxAttempts } = contextOf(state);
          expect(attempt).toBeLessThanOrEqual(maxAttempts);
        }
      }),
    );
  });

  it("dead_letter happens iff the attempts are spent or the error is not retryable", () => {
    fc.assert(
      fc.property(historyArb, (steps) => {
        for (const step of runHistory(steps).trace) {
          const failed = step.events.find((e) => e.type === "AttemptFailed");
          if (failed === undefined || failed.type !== "AttemptFailed") continue;
          const { attempt, maxAttempts } = contextOf(step.before);
          const spentOrPermanent = !failed.data.error.retryable || attempt >= maxAttempts;
          expect(statusOf(step.after) === "dead_letter").toBe(spentOrPermanent);
          expect(statusOf(step.after) === "failed").toBe(!spentOrPermanent);
          // A scheduled retry always says when; a dead letter never does.
          expect(failed.data.retryAt !== undefined).toBe(!spentOrPermanent);
          // Dead-lettering is its own event, decided with the failure and naming its reason.
          const dead = step.events.find((e) => e.type === "JobDeadLettered");
          expect(dead !== undefined).toBe(spentOrPermanent);
          if (dead?.type === "JobDeadLettered")
            expect(dead.data).toEqual({
              reason: failed.data.error.retryable ? "attempts_exhausted" : "not_retryable",
              attempt: failed.data.attempt,
              maxAttempts,
              errorCode: failed.data.error.code,
            });
        }
      }),
    );
  });

  it("a job reaches dead_letter only by a JobDeadLettered decided with its failure, or a JobFailedByDependency decided with that dependency's end, in one append", () => {
    fc.assert(
      fc.property(historyArb, (steps) => {
        for (const step of runHistory(steps).trace) {
          const types = step.events.map((e) => e.type);
          if (types.includes("JobFailedByDependency")) {
            // The dependency's end, then the failure it causes, last (a submit may record ends first).
            expect(types.at(-1)).toBe("JobFailedByDependency");
            expect(types.at(-2)).toBe("DependencyEnded");
            expect(statusOf(step.after)).toBe("dead_letter");
            continue;
          }
          if (statusOf(step.after) === "dead_letter" && statusOf(step.before) !== "dead_letter")
            expect(types).toEqual(["AttemptFailed", "JobDeadLettered"]);
          if (types.includes("JobDeadLettered")) expect(types).toEqual(["AttemptFailed", "JobDeadLettered"]);
          // No decision leaves a job between a failure that allows no retry and its dead letter.
          if (statusOf(step.after) === "failed") expect(contextOf(step.after).dueAt).not.toBeNull();
        }
      }),
    );
  });

  it("decide never produces an event that the machine refuses", () => {
    fc.assert(
      fc.property(historyArb, (steps) => {
        for (const step of runHistory(steps).trace) {
          let state = step.before;
          for (const event of step.events) {
            expect(accepts(state, event)).toBe(true);
            state = evolve(state, event);
          }
          expect(state).toEqual(step.after);
        }
      }),
    );
  });

  it("a rejected command changes nothing: no events, the state untouched, the same answer again", () => {
    fc.assert(
      fc.property(historyArb, (steps) => {
        for (const step of runHistory(steps).trace) {
          if (step.rejection === null) continue;
          expect(step.events).toEqual([]);
          expect(step.after).toBe(step.before);
          const before = structuredClone(step.before.context);
          const again = decide(step.command, step.before);
          expect(Result.isFailure(again) && again.failure).toEqual(step.rejection);
          expect(step.before.context).toEqual(before);
          expect(step.rejection.status).toBe(statusOf(step.before));
        }
      }),
    );
  });

  it("repeating a command that was just carried out returns no events", () => {
    const repeatable = new Set([
      "SubmitJob",
      "PromoteJob",
      "StartAttempt",
      "CompleteAttempt",
      "FailAttempt",
      "CancelJob",
    ]);
    fc.assert(
      fc.property(historyArb, (steps) => {
        for (const step of runHistory(steps).trace) {
          if (step.events.length === 0 || !repeatable.has(step.command.type)) continue;
          const again = decide(step.command, step.after);
          expect(Result.isSuccess(again) && again.success).toEqual([]);
        }
      }),
    );
  });

  it("nothing but one JobEvicted follows a completed or cancelled state, and nothing follows a JobEvicted, in any history", () => {
    fc.assert(
      fc.property(historyArb, (steps) => {
        const { states, events } = runHistory(steps);
        const firstFinal = states.findIndex(
          (s) => statusOf(s) === "completed" || statusOf(s) === "cancelled",
        );
        if (firstFinal >= 0)
          expect((events.slice(firstFinal + 1) as ReadonlyArray<JobEvent>).map((e) => e.type)).toEqual(
            events.length > firstFinal + 1 ? ["JobEvicted"] : [],
          );
        const evicted = events.findIndex((e) => e.type === "JobEvicted");
        if (evicted >= 0) expect(events.slice(evicted + 1)).toEqual([]);
        for (const state of states)
          if (isTerminal(state)) expect(TERMINAL_STATES.has(statusOf(state))).toBe(true);
      }),
    );
  });
});
