/**
 * The job view agrees with the machine: for any legal history, folding it with `viewOf` gives the
 * status, attempts, maxAttempts, progress, result and error the machine's own fold gives — after
 * every prefix, since the projector applies histories a batch (a prefix) at a time.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contextOf, eventOf, fold, statusOf } from "../src/domain/index.ts";
import {
  applyToView,
  type JobView,
  projectBatch,
  ProjectionDiverged,
  viewOf,
} from "../src/engine/read/index.ts";
import { historyArb, JOB_ID, runHistory, sealHistory } from "./support/history.ts";

describe("job view", () => {
  it("the view's status, attempts, maxAttempts, progress, result and error equal the machine's fold after every event", () => {
    fc.assert(
      fc.property(historyArb, (steps) => {
        const envelopes = sealHistory(runHistory(steps));
        let view: JobView | null = null;
        envelopes.forEach((envelope, i) => {
          view = applyToView(view, envelope);
          const state = fold(envelopes.slice(0, i + 1).map(eventOf));
          const context = contextOf(state);
          expect({
            status: view.status,
            attempts: view.attempts,
            maxAttempts: view.maxAttempts,
            progress: view.progress,
            result: view.result,
            error: view.error,
          }).toEqual({
            status: statusOf(state),
            attempts: context.attempt,
            maxAttempts: context.maxAttempts,
            progress: context.progress,
            result: context.result,
            error: context.lastError,
          });
          expect(view.version).toBe(envelope.seq);
          expect(view.lastHash).toBe(envelope.hash);
        });
      }),
    );
  });

  it("projecting a history in batches of any size gives one row equal to the whole fold, and refuses a repeated batch", () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 1, max: 8 }), (steps, size) => {
        const envelopes = sealHistory(runHistory(steps));
        const entries = envelopes.map((envelope, i) => ({ shard: 0, entryId: `1-${i}`, envelope }));
        let stored = new Map<string, JobView>();
        let first: ReadonlyArray<(typeof entries)[number]> = [];
        for (let i = 0; i < entries.length; i += size) {
          const slice = entries.slice(i, i + size);
          if (i === 0) first = slice;
          const batch = projectBatch(slice, stored);
          expect(batch.views).toHaveLength(1);
          expect(batch.checkpoints).toEqual([
            { shard: 0, entryId: slice.at(-1)?.entryId, hash: slice.at(-1)?.envelope.hash },
          ]);
          stored = new Map(batch.views.map((view) => [view.id, view]));
        }
        expect(stored.get(JOB_ID)).toEqual(viewOf(envelopes));
        // Applying the first batch again (a checkpoint lost) would double count: refused.
        expect(() => projectBatch(first, stored)).toThrow(ProjectionDiverged);
      }),
    );
  });
});
