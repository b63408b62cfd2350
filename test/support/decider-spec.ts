/**
 * Given/when/then for the decider: given past events, when a command, then these events or this
 * rejection. The given events are folded strictly: a test cannot start from an illegal history.
 */
import * as Result from "effect/Result";
import { expect } from "vitest";
import {
  accepts,
  decide,
  evolve,
  initialState,
  type JobCommand,
  type JobEvent,
  type JobState,
  type RejectionCode,
} from "../../src/domain/index.ts";

const foldStrict = (events: ReadonlyArray<JobEvent>): JobState =>
  events.reduce((state, event) => {
    if (!accepts(state, event)) throw new Error(`given history is illegal at ${event.type}`);
    return evolve(state, event);
  }, initialState());

export const given = (...events: ReadonlyArray<JobEvent>) => ({
  when: (command: JobCommand) => {
    const decision = decide(command, foldStrict(events));
    return {
      thenEvents: (expected: ReadonlyArray<JobEvent>) => {
        expect(Result.isSuccess(decision) ? decision.success : decision.failure).toEqual(expected);
      },
      thenRejected: (code: RejectionCode) => {
        expect(Result.isFailure(decision) ? decision.failure.code : "accepted").toBe(code);
      },
    };
  },
});
