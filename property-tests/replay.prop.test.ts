/** Replay is a deterministic fold: the same history gives the same state, a prefix the state then. */
import * as Result from "effect/Result";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { awaitsDeadLetter, replay, statusOf } from "../src/domain/index.ts";
import { historyArb, runHistory, sealHistory } from "./support/history.ts";

describe("replay", () => {
  it("replaying any accepted history reproduces the same state every time", () => {
    fc.assert(
      fc.property(historyArb, (steps) => {
        const history = runHistory(steps);
        const envelopes = sealHistory(history);
        const first = replay(envelopes);
        const second = replay(JSON.parse(JSON.stringify(envelopes)));
        if (Result.isFailure(first) || Result.isFailure(second))
          throw new Error("an accepted history must replay");
        expect(first.success.state.value).toEqual(history.final.value);
        expect(first.success.state.context).toEqual(history.final.context);
        expect(second.success.state.context).toEqual(first.success.state.context);
        expect(second.success.steps).toEqual(first.success.steps);
      }),
    );
  });

  it("replaying a prefix of a history gives the state at that point", () => {
    fc.assert(
      fc.property(
        historyArb.chain((steps) => {
          const history = runHistory(steps);
          return fc.tuple(
            fc.constant(history),
            fc.integer({ min: 1, max: Math.max(1, history.events.length) }),
          );
        }),
        ([history, cut]) => {
          const envelopes = sealHistory(history).slice(0, cut);
          const result = replay(envelopes, { prefix: true });
          if (Result.isFailure(result)) throw new Error(result.failure.failure.reason);
          const expected = history.states[cut - 1];
          // Taken as a whole history, a prefix is refused exactly when it stops between a
          // failure that allows no retry and its dead letter (one append, ADR 0022).
          const whole = replay(envelopes);
          const cutInside = expected !== undefined && awaitsDeadLetter(expected);
          expect(Result.isFailure(whole) && whole.failure.failure).toEqual(
            cutInside && expect.objectContaining({ seq: cut + 1, code: "dead_letter_missing" }),
          );
          expect(result.success.state.value).toEqual(expected?.value);
          expect(result.success.state.context).toEqual(expected?.context);
          expect(result.success.steps.map((s) => s.status)).toEqual(
            history.states.slice(0, cut).map(statusOf),
          );
        },
      ),
    );
  });
});
