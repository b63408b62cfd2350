/**
 * The head codec's split (ADR 0013): the spec part is written once, at creation, so it must never
 * change afterwards; a head decoded from that spec and any later live part is the folded state.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GENESIS_HASH, type JobState } from "../src/domain/index.ts";
import { decodeHead, encodeLive, encodeSpec } from "../src/infra/redis/head-codec.ts";
import { historyArb, runHistory } from "./support/history.ts";

const decoded = (spec: string, live: string): JobState | undefined =>
  decodeHead("job-1", "3", GENESIS_HASH, spec, live, "{}")?.state;

describe("head codec", () => {
  it("the spec part never changes after a job's first event, and spec at creation + live now decodes to the folded state", () => {
    fc.assert(
      fc.property(historyArb, (steps) => {
        const { states } = runHistory(steps);
        const [created] = states;
        if (created === undefined) return;
        const spec = encodeSpec(created);
        for (const state of states) {
          expect(encodeSpec(state)).toBe(spec);
          expect(decoded(spec, encodeLive(state))).toEqual(state);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a head with no state at all is missing, not a default job", () => {
    expect(decodeHead("job-1", "3", GENESIS_HASH, null, null, "{}")).toBeNull();
    expect(decodeHead("job-1", null, null, null, null, null)).toBeNull();
  });
});
