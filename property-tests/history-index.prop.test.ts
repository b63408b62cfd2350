/**
 * Each event is stored once, in its shard log, and a job's history is the index of its log
 * entry ids (ADR 0027). The Redis tamper corpus (test/audit-tamper-redis.int.test.ts) edits a
 * few histories for real; here verify's pure check of one job (verifyJob) meets every single
 * edit of the index, or of the log around it, on any legal history: none passes, and the report
 * names a seq no later than the first position the edit touched.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contextOf, type Envelope, statusOf } from "../src/domain/index.ts";
import type { RawHead, RawJobEntry } from "../src/engine/audit/index.ts";
import { type JobEvidence, type LogRef, verifyJob } from "../src/engine/audit/verify/job.ts";
import { historyArb, JOB_ID, runHistory, sealHistory } from "./support/history.ts";

/** The job's event of seq i + 1 is log entry `${1000 + 2i}-0`; odd ids hold another job's events. */
const idOf = (index: number): string => `${1000 + 2 * index}-0`;
const OTHER_JOB = "another-job";

const entryOf = (envelope: Envelope, index: number): RawJobEntry => ({
  entryId: idOf(index),
  inLog: true,
  tier: "log",
  jobId: envelope.jobId,
  seq: String(envelope.seq),
  type: envelope.type,
  env: JSON.stringify(envelope),
});

interface Stored {
  readonly entries: ReadonlyArray<RawJobEntry>;
  readonly log: ReadonlyArray<LogRef>;
}

interface Edit {
  readonly name: string;
  readonly stored: Stored;
  /** The first position (seq) the edit touched. */
  readonly touched: number;
}

const editArb = (honest: Stored, envelopes: ReadonlyArray<Envelope>): fc.Arbitrary<Edit> => {
  const n = honest.entries.length;
  const position = fc.integer({ min: 1, max: n });
  const withEntries = (entries: ReadonlyArray<RawJobEntry>) => ({ ...honest, entries });
  const edits: Array<fc.Arbitrary<Edit>> = [
    position.map((k) => ({
      name: `drop element ${k}`,
      stored: withEntries(honest.entries.filter((_, i) => i !== k - 1)),
      touched: k,
    })),
    position.map((k) => {
      const entries = [...honest.entries];
      entries.splice(k, 0, entries[k - 1] as RawJobEntry);
      return { name: `duplicate element ${k}`, stored: withEntries(entries), touched: k + 1 };
    }),
    position.map((k) => ({
      name: `element ${k} names an entry the log does not hold`,
      stored: withEntries(
        honest.entries.map((e, i) =>
          i === k - 1
            ? { entryId: "1-0", inLog: false, tier: null, jobId: null, seq: null, type: null, env: null }
            : e,
        ),
      ),
      touched: k,
    })),
    position.map((k) => {
      // Another job's event at the same seq: the same envelope but for that job.
      const theirs = { ...(envelopes[k - 1] as Envelope), jobId: OTHER_JOB };
      const entry: RawJobEntry = {
        ...entryOf(theirs, k - 1),
        entryId: `${1001 + 2 * (k - 1)}-0`,
      };
      return {
        name: `element ${k} names another job's entry`,
        stored: withEntries(honest.entries.map((e, i) => (i === k - 1 ? entry : e))),
        touched: k,
      };
    }),
    position.map((k) => ({
      name: `a copy of seq ${k}'s entry appended to the log`,
      stored: { ...honest, log: [...honest.log, { entryId: "99999-0", seq: String(k) }] },
      touched: k,
    })),
  ];
  if (n >= 2)
    edits.push(
      fc.integer({ min: 1, max: n - 1 }).map((k) => {
        const entries = [...honest.entries];
        [entries[k - 1], entries[k]] = [entries[k] as RawJobEntry, entries[k - 1] as RawJobEntry];
        return { name: `swap elements ${k} and ${k + 1}`, stored: withEntries(entries), touched: k };
      }),
    );
  return fc.oneof(...edits);
};

const evidenceOf = (stored: Stored, head: RawHead): JobEvidence => ({
  jobId: JOB_ID,
  foundInShard: 0,
  expectedShard: 0,
  entries: stored.entries,
  log: stored.log,
  head,
  location: null,
});

describe("a job's history index and the shard log (ADR 0027)", () => {
  it("every single edit of a job's history index, or a copy of its entry added to the log, fails verify at or before the first position it touched; the untouched history verifies", () => {
    fc.assert(
      fc.property(
        historyArb
          .map((steps) => runHistory(steps))
          .filter((history) => history.events.length > 0)
          .chain((history) => {
            const envelopes = sealHistory(history);
            const honest: Stored = {
              entries: envelopes.map(entryOf),
              log: envelopes.map((e, i) => ({ entryId: idOf(i), seq: String(e.seq) })),
            };
            const last = envelopes[envelopes.length - 1] as Envelope;
            const head: RawHead = {
              version: String(last.seq),
              lastHash: last.hash,
              status: statusOf(history.final),
              attempt: String(contextOf(history.final).attempt),
            };
            return fc.tuple(fc.constant({ honest, head }), editArb(honest, envelopes));
          }),
        ([{ honest, head }, edit]) => {
          expect(verifyJob(evidenceOf(honest, head), { drained: false }).failures).toEqual([]);
          const { failures } = verifyJob(evidenceOf(edit.stored, head), { drained: false });
          expect(failures.length, edit.name).toBeGreaterThan(0);
          expect(failures[0]?.seq ?? Number.POSITIVE_INFINITY, edit.name).toBeLessThanOrEqual(edit.touched);
        },
      ),
    );
  });
});
