import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { initialTransition, transition } from "xstate";
import { type Envelope, eventOf, evolve, initialState, jobMachine } from "../src/domain/index.ts";

describe("evolve", () => {
  it("gives exactly what xstate's transition() gives, event by event, over the golden history", () => {
    const envelopes = JSON.parse(
      readFileSync(new URL("./golden/job-history.json", import.meta.url), "utf8"),
    ) as ReadonlyArray<Envelope>;
    let ours = initialState();
    let theirs = initialTransition(jobMachine)[0];
    for (const envelope of envelopes) {
      ours = evolve(ours, eventOf(envelope));
      theirs = transition(jobMachine, theirs, eventOf(envelope))[0];
      expect(ours.value).toEqual(theirs.value);
      expect(ours.context).toEqual(theirs.context);
    }
  });
});
