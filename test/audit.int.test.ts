/**
 * The audit tools on a real run: jobs that complete, retry, dead-letter (not retryable, no
 * handler, timeout), get retried by an operator, and get cancelled — all in a real Redis.
 */
import * as Result from "effect/Result";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeHash, hashedText, sha256Hex } from "../src/domain/index.ts";
import { renderBundleReport } from "../src/cli/render/bundle.ts";
import { renderExplanation } from "../src/cli/render/explain.ts";
import { renderReplay } from "../src/cli/render/replay.ts";
import { renderVerifyReport } from "../src/cli/render/verify.ts";
import {
  type Explanation,
  parseInstant,
  type ReplayReport,
  verifyBundle,
} from "../src/engine/audit/index.ts";
import { NonRetryableError, type Worker } from "../src/engine/worker/index.ts";
import { auditOf, collectLines } from "./support/audit.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
let engine: TestEngine;
let worker: Worker;
let audit: ReturnType<typeof auditOf>;
const ids = { ok: "", flaky: "", fatal: "", missing: "", timeout: "", cancelled: "" };
const operator = { kind: "operator" as const, id: "alice" };
let startMs = 0;
let endMs = 0;

const status = async (jobId: string) => (await audit.replay(jobId))?.final?.status;
const until = (jobId: string, wanted: string) =>
  waitFor(async () => (await status(jobId)) === wanted, `${jobId} to be ${wanted}`);

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
  audit = auditOf(engine);
  const attempts = new Map<string, number>();
  ({ worker } = await startWorker(engine, {
    ok: async (_payload, ctx) => {
      await ctx.log("did the thing");
      return { done: true };
    },
    flaky: async (_payload, ctx) => {
      attempts.set(ctx.jobId, (attempts.get(ctx.jobId) ?? 0) + 1);
      if (ctx.attempt === 1) throw new Error("upstream 503");
      return "second time lucky";
    },
    fatal: () => {
      throw new NonRetryableError("bad payload");
    },
    slow: (_payload, ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", resolve)),
  }));
  startMs = Date.now();
  const fast = { type: "fixed", delayMs: 20 };
  ids.ok = (await engine.jobs.submit({ type: "ok", payload: { n: 1 } }, apiActor)).jobId;
  ids.flaky = (await engine.jobs.submit({ type: "flaky", backoff: fast }, apiActor)).jobId;
  ids.fatal = (await engine.jobs.submit({ type: "fatal", maxAttempts: 3 }, apiActor)).jobId;
  ids.missing = (await engine.jobs.submit({ type: "missing" }, apiActor)).jobId;
  ids.timeout = (await engine.jobs.submit({ type: "slow", timeoutMs: 50, maxAttempts: 1 }, apiActor)).jobId;
  ids.cancelled = (await engine.jobs.submit({ type: "ok", delayMs: 600_000 }, apiActor)).jobId;
  await engine.jobs.cancel(ids.cancelled, operator, "customer asked");
  await until(ids.ok, "completed");
  await until(ids.flaky, "completed");
  await until(ids.fatal, "dead_letter");
  await engine.jobs.retry(ids.fatal, operator, "deployed a fix", 2);
  await waitFor(
    async () => ((await audit.replay(ids.fatal))?.events.length ?? 0) >= 6,
    "fatal to be retried",
  );
  await until(ids.fatal, "dead_letter");
  await until(ids.missing, "dead_letter");
  await until(ids.timeout, "dead_letter");
  endMs = Date.now();
});

afterAll(async () => {
  await worker?.stop(100);
  await engine?.close();
  await redis?.stop();
});

describe("verify on an honest run", () => {
  it("passes every check when drained, counting jobs, events and shard-log entries", async () => {
    const report = await audit.verify({ drained: true });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.counts.jobs).toBe(6);
    expect(report.counts.events).toBe(report.counts.logEntries);
    expect(report.counts.byStatus).toEqual({ completed: 2, dead_letter: 3, cancelled: 1 });
    expect(report.checks).toEqual([
      "history",
      "head",
      "shard_log",
      "attempts",
      "steps",
      "terminal",
      "not_orphaned",
    ]);
    expect(renderVerifyReport(report)).toContain("Verify the whole log (drained): OK");
  });

  it("verifies one job alone", async () => {
    const report = await audit.verify({ jobId: ids.flaky });
    expect(report.ok).toBe(true);
    expect(report.counts.jobs).toBe(1);
    expect(report.counts.events).toBe(report.counts.logEntries);
  });

  it("reports the differences a plugged-in projection comparison finds", async () => {
    const report = await audit.verify({
      projection: async () => ["jobs row x: status queued, log says completed"],
    });
    expect(report.ok).toBe(false);
    expect(report.checks).toContain("projection");
    expect(report.failures).toEqual([
      expect.objectContaining({ check: "projection", code: "projection_mismatch", jobId: null }),
    ]);
  });

  it("is not fooled by a pending job: a notice when not drained, a failure when drained, orphaned when unscheduled", async () => {
    const { jobId } = await engine.jobs.submit({ type: "ok", delayMs: 600_000 }, apiActor);
    const live = await audit.verify({ jobId });
    expect(live.ok).toBe(true);
    expect(live.notices).toEqual([{ jobId, message: "not finished: pending" }]);
    const drained = await audit.verify({ jobId, drained: true });
    expect(drained.failures).toEqual([expect.objectContaining({ jobId, seq: 1, code: "not_terminal" })]);
    await engine.client.zrem(engine.store.keys.delayed(0), jobId);
    const orphaned = await audit.verify({ jobId });
    expect(orphaned.failures).toEqual([
      expect.objectContaining({ jobId, seq: 1, check: "not_orphaned", code: "orphaned" }),
    ]);
    await engine.jobs.cancel(jobId, operator, "test cleanup");
  });
});

describe("replay", () => {
  it("lists each event with the state after it and ends anchored at the head", async () => {
    const report = await audit.replay(ids.flaky);
    expect(report?.ok).toBe(true);
    expect(report?.events.map((e) => [e.type, e.state.status, e.state.attempt])).toEqual([
      ["JobSubmitted", "queued", 0],
      ["AttemptStarted", "processing", 1],
      ["AttemptFailed", "failed", 1],
      ["JobQueued", "queued", 1],
      ["AttemptStarted", "processing", 2],
      ["JobCompleted", "completed", 2],
    ]);
    expect(report?.anchor).toEqual({ version: 6, lastHash: report?.events[5]?.hash });
    const text = renderReplay(report as ReplayReport);
    expect(text).toContain(`Job ${ids.flaky}: replay OK: 6 events`);
    expect(text).toMatch(/3 +\S+ +worker:\S+ +AttemptFailed +failed {2}attempt 1\/3 {2}due /);
  });

  it("answers null for a job the store has never seen", async () => {
    expect(await audit.replay("no-such-job")).toBeNull();
  });
});

describe("explain", () => {
  it("tells a retried success, a non-retryable dead letter with a manual retry, no handler, a timeout and a cancellation", async () => {
    const flaky = await audit.explain(ids.flaky);
    expect(flaky?.summary).toMatch(/^Completed on attempt 2 of 3 at .*, after 1 failed attempt\.$/);
    expect(flaky?.sentences.map((s) => s.kind)).toEqual([
      "submitted",
      "attempt_started",
      "attempt_failed",
      "queued",
      "attempt_started",
      "completed",
    ]);
    expect(flaky?.sentences[2]?.text).toMatch(
      /Attempt 1 failed on worker \S+ with handler_error: Error: upstream 503\. A retry was scheduled for/,
    );

    const fatal = await audit.explain(ids.fatal);
    expect(fatal?.summary).toMatch(
      /^Dead-lettered at .* after attempt 2 of 3: its last error is not retryable \(non_retryable: NonRetryableError: bad payload\)\.$/,
    );
    expect(fatal?.sentences.find((s) => s.kind === "manual_retry")?.text).toBe(
      'Manually retried by operator alice out of dead_letter: "deployed a fix". It may make 2 more attempts (up to 3 in all).',
    );

    const missing = await audit.explain(ids.missing);
    expect(missing?.sentences.find((s) => s.kind === "no_handler")?.text).toMatch(
      /has no handler for job type "missing" \(no_handler\)\.$/,
    );
    // Why it was dead-lettered is the JobDeadLettered's own sentence, right after the failure.
    const missingKinds = missing?.sentences.map((s) => s.kind) ?? [];
    expect(missingKinds.slice(missingKinds.indexOf("no_handler"))).toEqual(["no_handler", "dead_lettered"]);
    expect(missing?.sentences.find((s) => s.kind === "dead_lettered")?.text).toBe(
      "The error is not retryable, so the job was dead-lettered.",
    );

    const timeout = await audit.explain(ids.timeout);
    expect(timeout?.sentences.find((s) => s.kind === "timeout")?.text).toMatch(
      /Attempt 1 timed out on worker \S+: timed out after 50 ms\.$/,
    );
    expect(timeout?.sentences.find((s) => s.kind === "dead_lettered")?.text).toMatch(
      /^That was the last allowed attempt \(1 of 1\), so the job was dead-lettered\.$/,
    );
    expect(timeout?.summary).toMatch(/all 1 allowed attempt were used \(timeout/);

    const cancelled = await audit.explain(ids.cancelled);
    expect(cancelled?.summary).toMatch(/^Cancelled by operator alice at .*: "customer asked"\.$/);
    expect(renderExplanation(cancelled as Explanation)).toContain(
      "Cancelled by operator alice while pending",
    );
  });
});

describe("time travel", () => {
  it("gives the state as of a time: before creation the job did not exist; later, each state it passed through", async () => {
    const report = (await audit.replay(ids.flaky)) as ReplayReport;
    const failedAt = Date.parse(report.events[2]?.at ?? "");
    expect(await audit.stateAt(ids.flaky, startMs - 60_000)).toMatchObject({
      existed: false,
      seq: 0,
      state: null,
    });
    expect(await audit.stateAt(ids.flaky, failedAt)).toMatchObject({
      existed: true,
      seq: 3,
      state: { status: "failed" },
      view: { status: "failed" },
    });
    expect(await audit.stateAt(ids.flaky, endMs + 1)).toMatchObject({
      seq: 6,
      state: { status: "completed" },
      failure: null,
    });
  });

  it("lists the jobs in a status at a time by folding the shard logs", async () => {
    const now = await audit.jobsInStatusAt("completed", endMs + 1);
    expect(now.jobIds).toEqual([ids.ok, ids.flaky].sort());
    expect(now.unreadable).toEqual([]);
    expect((await audit.jobsInStatusAt("completed", startMs - 60_000)).jobIds).toEqual([]);
  });

  it("parses ISO times and epoch milliseconds, and refuses anything else", () => {
    expect(parseInstant("2026-01-01T00:00:00.000Z")).toEqual(Result.succeed(Date.UTC(2026, 0, 1)));
    expect(parseInstant("1767225600000")).toEqual(Result.succeed(1767225600000));
    expect(parseInstant(1767225600000)).toEqual(Result.succeed(1767225600000));
    expect(Result.isFailure(parseInstant("yesterday"))).toBe(true);
    expect(Result.isFailure(parseInstant("01/02/2026"))).toBe(true);
  });
});

describe("export and offline verification", () => {
  it("exports a bundle that verifies offline, every line canonical, each hash reproducible from its line", async () => {
    const lines = await collectLines(audit.exportBundle({ generatedAtMs: endMs }));
    const report = await verifyBundle(lines);
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.header?.counts.jobs).toBeGreaterThanOrEqual(6);
    expect(report.counts.events).toBe(report.header?.counts.events);
    expect(renderBundleReport(report)).toContain("Verify bundle: OK");
    for (const line of lines.slice(1)) {
      const { hash, ...rest } = JSON.parse(line) as { hash: string };
      // The auditor's recipe: drop `hash`, canonicalise, SHA-256.
      expect(sha256Hex(hashedText(rest as never))).toBe(hash);
      expect(computeHash(JSON.parse(line))).toBe(hash);
    }
  });

  it("filters by job and by time, each chain whole from genesis", async () => {
    const one = await collectLines(audit.exportBundle({ jobId: ids.flaky, generatedAtMs: endMs }));
    expect(one).toHaveLength(7);
    expect(JSON.parse(one[0] as string)).toMatchObject({
      filters: { jobId: ids.flaky, since: null },
      counts: { jobs: 1, events: 6 },
    });
    expect((await verifyBundle(one)).ok).toBe(true);
    const later = await collectLines(audit.exportBundle({ sinceMs: endMs + 60_000, generatedAtMs: endMs }));
    expect(JSON.parse(later[0] as string)).toMatchObject({ counts: { jobs: 0, events: 0 } });
    expect((await verifyBundle(later.join("\n"))).ok).toBe(true);
  });
});
