/**
 * Where an event stream stands (src/api/routes/event-cursor.ts): a log stream's cursor lets each
 * entry through once, in each shard's order, and moves past entries its type filter leaves out
 * (so the next id covers them); a job stream's cursor goes by seq; a fresh log stream starts at
 * the projector's checkpoints; ids of another form are refused.
 */
import { describe, expect, it } from "vitest";
import { cursorFor, JobCursor, LogCursor } from "../src/api/routes/event-cursor.ts";
import type { Envelope } from "../src/domain/index.ts";
import type { LogEntry } from "../src/engine/read/index.ts";

const entry = (
  shard: number,
  entryId: string,
  jobId: string,
  seq: number,
  type = "JobSubmitted",
): LogEntry => ({
  shard,
  entryId,
  envelope: { jobId, seq, type } as unknown as Envelope,
});

describe("event stream cursors", () => {
  it("a log cursor lets each entry through once, per shard in order, and passes filtered ones", () => {
    const { cursor } = cursorFor({ type: "JobCancelled" }, "5-0,7-0", 2, []);
    expect(cursor).toBeInstanceOf(LogCursor);
    const admitted = [
      entry(0, "4-0", "a", 1, "JobCancelled"), // before the position: already sent
      entry(0, "6-0", "b", 1, "JobSubmitted"), // filtered out, but passed
      entry(1, "8-0", "c", 2, "JobCancelled"),
      entry(1, "8-0", "c", 2, "JobCancelled"), // the same entry again (live after backlog)
      entry(0, "6-1", "b", 2, "JobCancelled"),
    ].filter((e) => cursor.admits(e));
    expect(admitted.map((e) => e.entryId)).toEqual(["8-0", "6-1"]);
    expect(cursor.id()).toBe("6-1,8-0");
  });

  it("a fresh log stream starts where the projector stands; a job stream goes by seq", () => {
    expect(cursorFor({}, undefined, 3, [{ shard: 1, entryId: "9-2" }]).cursor.id()).toBe("0-0,9-2,0-0");
    const { cursor, resumed } = cursorFor({ jobId: "job-1" }, "job-1:2", 1, []);
    expect(resumed).toBe(true);
    expect(cursor).toBeInstanceOf(JobCursor);
    const seqs = [1, 2, 3, 3, 4]
      .map((seq) => entry(0, "", "job-1", seq))
      .concat([entry(0, "", "job-2", 9)])
      .filter((e) => cursor.admits(e))
      .map((e) => e.envelope.seq);
    expect(seqs).toEqual([3, 4]);
    expect(cursor.id()).toBe("job-1:4");
    expect(cursorFor({ jobId: "job-1" }, "", 1, []).resumed).toBe(false);
  });

  it("refuses ids of another form with a 400 invalid_last_event_id", () => {
    for (const [filter, id] of [
      [{}, "1-0"],
      [{}, "1-0,x"],
      [{}, "12345678901234567-0,0-0"],
      [{}, "job-1:3"],
      [{ jobId: "job-1" }, "job-2:3"],
      [{ jobId: "job-1" }, "job-1:"],
      [{ jobId: "job-1" }, "1-0,2-0"],
    ] as const)
      expect(() => cursorFor(filter, id, 2, []), id).toThrow(
        expect.objectContaining({ status: 400, code: "invalid_last_event_id" }),
      );
  });
});
