/**
 * Durable steps, sleeps and signals (ADR 0043) with real `docket worker` processes on a real
 * Redis, killed with SIGKILL: a step recorded before the kill is not run again by the attempt
 * that takes over; a sleep outlives its worker (no process holds the job while it sleeps); a wait
 * is woken by a signal or ends by its timeout; a suspended job can be cancelled. Each runs with
 * handlers in process and in handler threads (`--isolation thread`).
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextOf, statusOf } from "../src/domain/index.ts";
import { auditOf } from "./support/audit.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { checkInvariants } from "./support/invariants.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { spawnDocketWorker } from "./support/worker-process.ts";

let redis: TestRedis;
let engine: TestEngine;
const children: Array<ChildProcess> = [];

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await engine.close();
  await redis.stop();
});

const spawnWorker = (name: string, extra: ReadonlyArray<string>) => {
  const spawned = spawnDocketWorker({
    redisUrl: redis.url,
    prefix: engine.prefix,
    leaseMs: 1_000,
    args: ["--name", name, "--concurrency", "2", ...extra],
  });
  spawned.child.stderr?.resume();
  children.push(spawned.child);
  return spawned;
};

const statusOfJob = async (jobId: string) => statusOf((await engine.jobs.get(jobId)).state);
const statusIs = (jobId: string, status: string, ms = 30_000) =>
  waitFor(async () => (await statusOfJob(jobId)) === status, `job ${jobId} to be ${status}`, ms);

const verified = async (jobId: string) => {
  expect(await checkInvariants(engine, [jobId])).toEqual([]);
  expect((await auditOf(engine).verify({ jobId })).failures).toEqual([]);
};

const fileIn = (name: string) => join(mkdtempSync(join(tmpdir(), "docket-steps-")), name);

for (const [mode, extra] of [
  ["in process", []],
  ["in handler threads", ["--isolation", "thread"]],
] as const) {
  describe(`durable steps with worker processes, handlers ${mode}`, () => {
    it("a step recorded before a SIGKILL is not run again by the attempt that takes over", async () => {
      const file = fileIn("charges");
      const first = spawnWorker(`charge-a-${mode.length}`, extra);
      const { jobId } = await engine.jobs.submit(
        { type: "durable-charge", payload: { file }, backoff: { type: "fixed", delayMs: 10 } },
        apiActor,
      );
      await waitFor(
        async () => (await engine.store.readEvents(jobId)).some((e) => e.type === "StepCompleted"),
        "the step to be recorded",
        30_000,
      );
      first.child.kill("SIGKILL");
      await first.exited;
      const second = spawnWorker(`charge-b-${mode.length}`, extra);
      await statusIs(jobId, "completed");
      expect(readFileSync(file, "utf8")).toBe("charged 1\n");
      const head = await engine.jobs.get(jobId);
      expect(contextOf(head.state).result).toEqual({ attempt: 1 });
      const failed = (await engine.store.readEvents(jobId)).find((e) => e.type === "AttemptFailed");
      expect(failed?.data).toMatchObject({ attempt: 1, error: { code: "lease_expired" } });
      await verified(jobId);
      second.child.kill("SIGTERM");
      await second.exited;
    });

    it("a sleep outlives its worker: killed while the job sleeps, a new worker resumes it after the recorded step", async () => {
      const file = fileIn("sleep");
      const first = spawnWorker(`sleep-a-${mode.length}`, extra);
      const { jobId } = await engine.jobs.submit(
        { type: "durable-sleep", payload: { file, ms: 1_500 }, maxAttempts: 1 },
        apiActor,
      );
      await statusIs(jobId, "suspended");
      first.child.kill("SIGKILL");
      await first.exited;
      // Nobody runs anything while it sleeps; the new worker promotes it when it is due.
      const second = spawnWorker(`sleep-b-${mode.length}`, extra);
      await statusIs(jobId, "completed");
      expect(readFileSync(file, "utf8")).toBe("before\nafter\n");
      const events = await engine.store.readEvents(jobId);
      const suspended = events.find((e) => e.type === "JobSuspended");
      const resumed = events.find((e) => e.type === "JobQueued" && e.data.reason === "sleep_elapsed");
      expect(suspended).toBeDefined();
      expect(Date.parse(resumed?.at ?? "")).toBeGreaterThanOrEqual(
        Date.parse(suspended?.type === "JobSuspended" ? suspended.data.until : ""),
      );
      await verified(jobId);
      second.child.kill("SIGTERM");
      await second.exited;
    });

    it("waits: one woken by its signal, one ended by its timeout, and a suspended job cancelled", async () => {
      const worker = spawnWorker(`wait-${mode.length}`, extra);
      const woken = await engine.jobs.submit(
        { type: "durable-wait", payload: { name: "go", timeoutMs: 60_000 } },
        apiActor,
      );
      const timed = await engine.jobs.submit(
        { type: "durable-wait", payload: { name: "never", timeoutMs: 300 } },
        apiActor,
      );
      const cancelled = await engine.jobs.submit(
        { type: "durable-wait", payload: { name: "later", timeoutMs: 60_000 } },
        apiActor,
      );
      await statusIs(woken.jobId, "suspended");
      await statusIs(cancelled.jobId, "suspended");
      await engine.jobs.signal(woken.jobId, apiActor, "go", { n: 1 });
      await engine.jobs.cancel(cancelled.jobId, apiActor, "not needed");
      await statusIs(woken.jobId, "completed");
      await statusIs(timed.jobId, "completed");
      expect(await statusOfJob(cancelled.jobId)).toBe("cancelled");
      expect(contextOf((await engine.jobs.get(woken.jobId)).state).result).toEqual({
        timedOut: false,
        payload: { n: 1 },
      });
      expect(contextOf((await engine.jobs.get(timed.jobId)).state).result).toEqual({ timedOut: true });
      for (const { jobId } of [woken, timed, cancelled]) await verified(jobId);
      worker.child.kill("SIGTERM");
      await worker.exited;
    });
  });
}
