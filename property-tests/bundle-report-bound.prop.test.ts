/**
 * A bundle report is bounded however hostile the bundle: for any bundle — real lines, junk,
 * lines dropped, repeated or reordered — verified with a cap of m failures, the report lists at
 * most m, exactly the first m the uncapped verification lists, counts all of them, says it was
 * truncated exactly when it was, and is OK exactly when the uncapped one is.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  canonicalJson,
  describeMachine,
  type Envelope,
  EVENT_SCHEMA_VERSION,
  MACHINE_VERSION,
} from "../src/domain/index.ts";
import { verifyBundle } from "../src/engine/audit/index.ts";
import { syntheticEntries } from "../test/support/archive.ts";

let real: ReadonlyArray<string>;

beforeAll(() => {
  const envelopes = syntheticEntries(2)
    .map((entry) => JSON.parse(entry.fields[7] as string) as Envelope)
    .sort((a, b) => (a.jobId === b.jobId ? a.seq - b.seq : a.jobId < b.jobId ? -1 : 1));
  const jobs = [...new Set(envelopes.map((e) => e.jobId))].map((jobId) => {
    const mine = envelopes.filter((e) => e.jobId === jobId);
    return { jobId, events: mine.length, lastHash: (mine.at(-1) as Envelope).hash };
  });
  const header = {
    format: "docket-audit-bundle",
    formatVersion: 1,
    generatedAt: "2026-01-01T00:00:00.000Z",
    machine: describeMachine(),
    machineVersion: MACHINE_VERSION,
    eventSchemaVersion: EVENT_SCHEMA_VERSION,
    filters: { jobId: null, since: null },
    counts: { jobs: jobs.length, events: envelopes.length },
    jobs,
  };
  real = [header, ...envelopes].map((value) => canonicalJson(value));
});

const lineArb = fc.oneof(
  fc.nat().map((i) => ({ real: i })),
  fc
    .oneof(fc.string(), fc.constant("{oops"), fc.constant("{}"), fc.constant('{"jobId":"stranger"}'))
    .map((junk) => ({ junk })),
);

describe("bundle report bound (property)", () => {
  it("the untouched bundle verifies", async () => {
    expect((await verifyBundle(real)).failures).toEqual([]);
  });

  it("a report capped at m failures lists the first m of the uncapped report, counts them all, and says it was truncated exactly when it was", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        async (picks, m) => {
          const lines = picks.map((pick) =>
            "real" in pick ? (real[pick.real % real.length] as string) : pick.junk.replace(/\n/g, " "),
          );
          const all = await verifyBundle(lines, { maxFailures: Number.MAX_SAFE_INTEGER });
          const capped = await verifyBundle(lines, { maxFailures: m });
          expect(all.truncated).toBe(false);
          expect(all.counts.failures).toBe(all.failures.length);
          expect(capped.failures).toEqual(all.failures.slice(0, m));
          expect(capped.counts).toEqual(all.counts);
          expect(capped.truncated).toBe(all.failures.length > m);
          expect(capped.ok).toBe(all.ok);
        },
      ),
      { numRuns: 300 },
    );
  });
});
