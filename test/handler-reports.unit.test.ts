/**
 * A handler that reports in a loop cannot flood its job's history (job-chain.ts): progress and
 * meta are recorded at most every REPORT_INTERVAL_MS, the latest winning and always recorded;
 * an attempt records at most MAX_LOG_LINES_PER_ATTEMPT log lines, says when it reaches the limit
 * and how many it left out. The history keeps the order in which the handler reported. A worker
 * on the in-memory adapters and the system clock.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { type Actor, type Envelope, MAX_LOG_LINES_PER_ATTEMPT, statusOf } from "../src/domain/index.ts";
import { systemClock } from "../src/engine/shared/index.ts";
import { type Handler, type HandlerContext, Worker } from "../src/engine/worker/index.ts";
import { JobService } from "../src/engine/write/index.ts";
import { memoryAdapters } from "../src/infra/memory/index.ts";
import { waitFor } from "./support/wait.ts";

const client: Actor = { kind: "client", id: "reports-test" };
const running: Array<Worker> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop(0)));
});

/** Runs one job through `handler`; resolves its history once it has ended. */
const runOne = async (handler: Handler): Promise<ReadonlyArray<Envelope>> => {
  const { store, queue, registry } = memoryAdapters(systemClock);
  const jobs = new JobService({ store, queue, clock: systemClock, shards: 1 });
  const worker = new Worker({
    name: "reports",
    queues: ["default"],
    concurrency: 1,
    handlers: { report: handler },
    store,
    queue,
    registry,
    clock: systemClock,
    blockMs: 20,
  });
  running.push(worker);
  void worker.run();
  const { jobId } = await jobs.submit({ type: "report", maxAttempts: 1 }, client);
  await waitFor(
    async () => {
      const head = await store.loadHead(jobId);
      return head !== null && ["completed", "dead_letter"].includes(statusOf(head.state));
    },
    "the job to end",
    30_000,
  );
  return store.readEvents(jobId);
};

const ofType = (events: ReadonlyArray<Envelope>, type: string) => events.filter((e) => e.type === type);
const lines = (events: ReadonlyArray<Envelope>): Array<string> =>
  ofType(events, "LogRecorded").map((e) => (e.data as { line: string }).line);

describe("a handler's reports", () => {
  it("progress reported 20,000 times in a loop is recorded a few times, the last report among them, before the outcome", async () => {
    const events = await runOne(async (_payload, ctx) => {
      for (let i = 1; i <= 20_000; i++) await ctx.progress(i, 20_000);
      return "done";
    });
    const progress = ofType(events, "ProgressReported");
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThan(20_000 / 10);
    expect(progress.at(-1)?.data).toMatchObject({ progress: { current: 20_000, total: 20_000 } });
    expect(events.at(-1)?.type).toBe("JobCompleted");
  });

  it("meta set 5,000 times in a loop ends as the last value set", async () => {
    const events = await runOne(async (_payload, ctx) => {
      for (let i = 1; i <= 5_000; i++) await ctx.setMeta({ step: i });
      return null;
    });
    const meta = ofType(events, "MetaUpdated");
    expect(meta.length).toBeLessThan(5_000 / 10);
    expect(meta.at(-1)?.data).toMatchObject({ meta: { step: 5_000 } });
  });

  it("records at most the limit of log lines per attempt, says so at the limit, and counts the rest at its end", async () => {
    const total = MAX_LOG_LINES_PER_ATTEMPT + 500;
    const events = await runOne(async (_payload, ctx) => {
      for (let i = 1; i <= total; i++) await ctx.log(`line ${i}`);
      return null;
    });
    const recorded = lines(events);
    expect(recorded).toHaveLength(MAX_LOG_LINES_PER_ATTEMPT + 1);
    expect(recorded.slice(0, MAX_LOG_LINES_PER_ATTEMPT - 1)).toEqual(
      Array.from({ length: MAX_LOG_LINES_PER_ATTEMPT - 1 }, (_, i) => `line ${i + 1}`),
    );
    expect(recorded[MAX_LOG_LINES_PER_ATTEMPT - 1]).toMatch(/^log limit reached/);
    expect(recorded.at(-1)).toBe(
      `501 log line(s) of this attempt were not recorded (at most ${MAX_LOG_LINES_PER_ATTEMPT} per attempt)`,
    );
    expect(events.at(-1)?.type).toBe("JobCompleted");
  });

  it("a report held back is recorded before the log line that followed it", async () => {
    const events = await runOne(async (_payload, ctx) => {
      await ctx.progress(1, 3);
      await ctx.progress(2, 3); // within the interval: held
      await ctx.log("after two");
      await ctx.progress(3, 3); // held until the outcome
      return null;
    });
    const story = events
      .filter((e) => e.type === "ProgressReported" || e.type === "LogRecorded" || e.type === "JobCompleted")
      .map((e) =>
        e.type === "ProgressReported"
          ? `p${(e.data as { progress: { current: number } }).progress.current}`
          : e.type === "LogRecorded"
            ? "log"
            : "done",
      );
    expect(story).toEqual(["p1", "p2", "log", "p3", "done"]);
  });

  type Call =
    | { readonly kind: "progress"; readonly current: number }
    | { readonly kind: "meta"; readonly value: number }
    | { readonly kind: "log"; readonly line: string };
  const call: fc.Arbitrary<Call> = fc.oneof(
    fc.nat(1_000).map((current) => ({ kind: "progress" as const, current })),
    fc.nat(1_000).map((value) => ({ kind: "meta" as const, value })),
    fc.string({ maxLength: 8 }).map((line) => ({ kind: "log" as const, line: `l:${line}` })),
  );
  const play = async (ctx: HandlerContext, c: Call) =>
    c.kind === "progress"
      ? ctx.progress(c.current, 1_000)
      : c.kind === "meta"
        ? ctx.setMeta({ v: c.value })
        : ctx.log(c.line);

  it("for any sequence of reports: every log line is recorded in order, the last progress and the last meta are recorded, each recorded report was made, in the order made", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(call, { maxLength: 60 }), async (calls) => {
        const events = await runOne(async (_payload, ctx) => {
          for (const c of calls) await play(ctx, c);
          return null;
        });
        expect(lines(events)).toEqual(calls.flatMap((c) => (c.kind === "log" ? [c.line] : [])));
        const lastProgress = calls.findLast((c) => c.kind === "progress");
        const progress = ofType(events, "ProgressReported");
        if (lastProgress === undefined) expect(progress).toEqual([]);
        else expect(progress.at(-1)?.data).toMatchObject({ progress: { current: lastProgress.current } });
        const lastMeta = calls.findLast((c) => c.kind === "meta");
        const meta = ofType(events, "MetaUpdated");
        if (lastMeta === undefined) expect(meta).toEqual([]);
        else expect(meta.at(-1)?.data).toMatchObject({ meta: { v: lastMeta.value } });
        // The recorded reports are a subsequence of the calls, in order.
        const made = calls.map((c) => JSON.stringify(c));
        let at = 0;
        for (const e of events) {
          const seen =
            e.type === "ProgressReported"
              ? { kind: "progress", current: (e.data as { progress: { current: number } }).progress.current }
              : e.type === "MetaUpdated"
                ? { kind: "meta", value: (e.data as unknown as { meta: { v: number } }).meta.v }
                : e.type === "LogRecorded"
                  ? { kind: "log", line: (e.data as { line: string }).line }
                  : undefined;
          if (seen === undefined) continue;
          const found = made.indexOf(JSON.stringify(seen), at);
          expect(found, `${JSON.stringify(seen)} recorded out of order`).toBeGreaterThanOrEqual(at);
          at = found + 1;
        }
      }),
      { numRuns: 40 },
    );
  });
});
