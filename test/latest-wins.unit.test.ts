/**
 * The coalescing of a handler's progress and meta reports (latest-wins.ts, ADR 0045), on fake
 * timers: how many writes a long attempt makes, that the latest report is always written, and
 * that held reports of several kinds are written in the order they were made.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { REPORT_INTERVAL_MS } from "../src/domain/index.ts";
import { reportIntervalMs } from "../src/engine/worker/job-chain.ts";
import { LatestWins } from "../src/engine/worker/latest-wins.ts";

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const recorder = () => {
  const written: Array<[string, number]> = [];
  const reports = new LatestWins<"progress" | "meta", number>(
    reportIntervalMs(Date.now()),
    Date.now,
    (kind, value) => {
      written.push([kind, value]);
      return Promise.resolve();
    },
  );
  return { written, reports };
};

describe("coalesced reports", () => {
  it("a day-long attempt reporting every second writes every report for its first 1,000 s, then fewer and fewer: under 6,000 in all, the last one among them", async () => {
    const { written, reports } = recorder();
    const day = 86_400;
    for (let s = 1; s <= day; s++) {
      void reports.offer("progress", s);
      await vi.advanceTimersByTimeAsync(1_000);
    }
    await vi.advanceTimersByTimeAsync(day * 1_000);
    const values = written.map(([, v]) => v);
    expect(values.slice(0, 1_000)).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
    expect(values.length).toBeLessThan(6_000);
    expect(values.at(-1)).toBe(day);
    // A report is never more than an interval old when its successor is written.
    expect(values).toEqual([...values].sort((a, b) => a - b));
  }, 120_000);

  it("reports sooner than the interval are held, the latest replacing the others, and written in the order made across kinds", async () => {
    const { written, reports } = recorder();
    void reports.offer("progress", 1); // written at once
    void reports.offer("meta", 10); // written at once: meta's first, and nothing is held
    void reports.offer("progress", 2); // held
    void reports.offer("meta", 11); // replaces meta 10, made after progress 2
    void reports.offer("progress", 3); // replaces progress 2, made after meta 11
    expect(written).toEqual([
      ["progress", 1],
      ["meta", 10],
    ]);
    await vi.advanceTimersByTimeAsync(REPORT_INTERVAL_MS);
    expect(written).toEqual([
      ["progress", 1],
      ["meta", 10],
      ["meta", 11],
      ["progress", 3],
    ]);
  });

  it("after close, nothing held is written and nothing more is taken", async () => {
    const { written, reports } = recorder();
    void reports.offer("progress", 1);
    void reports.offer("progress", 2);
    reports.close();
    void reports.offer("progress", 3);
    await vi.advanceTimersByTimeAsync(10 * REPORT_INTERVAL_MS);
    expect(written).toEqual([["progress", 1]]);
  });
});
