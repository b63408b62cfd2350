/**
 * Prompt cancel (issue 15 §4, ADR 0040) with a real `docket worker` process and a lease long
 * enough (30 s: renewals every 10 s) that only the announcement can explain a prompt abort: the
 * time from the cancel's answer to the handler's signal firing, and, for a thread-isolated
 * handler that never yields, to the worker taking its next job (the thread terminated). The
 * figures are printed; the bound asserted (2 s) is twice the 1 s, for a loaded machine.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusOf } from "../src/domain/index.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { spawnDocketWorker } from "./support/worker-process.ts";

const BOUND_MS = 2_000;

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

const spawnWorker = (args: ReadonlyArray<string>): ChildProcess => {
  const { child } = spawnDocketWorker({
    redisUrl: redis.url,
    prefix: engine.prefix,
    leaseMs: 30_000,
    args: ["--concurrency", "1", ...args],
  });
  // Its log is not read here: drained, so a full pipe never blocks the worker.
  child.stderr?.resume();
  children.push(child);
  return child;
};

const statusOfJob = async (jobId: string) => statusOf((await engine.jobs.get(jobId)).state);

describe("cancel delivery", () => {
  it("a cancel reaches a running handler's signal in a worker process within 2 s, long before the lease renewal", async () => {
    const child = spawnWorker(["--name", "prompt"]);
    const file = join(mkdtempSync(join(tmpdir(), "docket-cancel-")), "fired");
    const figures: Array<number> = [];
    for (let i = 0; i < 3; i++) {
      const { jobId } = await engine.jobs.submit({ type: "note-abort", payload: { file } }, apiActor);
      await waitFor(async () => (await statusOfJob(jobId)) === "processing", "the job to start", 30_000);
      // The worker subscribes as it starts; give its first job a moment to be running for sure.
      await new Promise((r) => setTimeout(r, 200));
      await engine.jobs.cancel(jobId, apiActor, "prompt-cancel test");
      const answered = Date.now();
      const fired = await waitFor(
        () => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n")[i] : undefined),
        "the handler's signal to fire",
        15_000,
      );
      figures.push(Number(fired) - answered);
      expect(await statusOfJob(jobId)).toBe("cancelled");
    }
    console.log(`cancel answer → handler signal (ms): ${figures.join(", ")}`);
    for (const ms of figures) expect(ms).toBeLessThan(BOUND_MS);
    child.kill("SIGTERM");
  });

  it("a cancel terminates a spinning thread-isolated handler in a worker process: the worker takes its next job within 2 s", async () => {
    const child = spawnWorker(["--name", "threaded", "--isolation", "thread", "--queues", "spinners"]);
    const { jobId } = await engine.jobs.submit({ type: "spin", queue: "spinners" }, apiActor);
    await waitFor(async () => (await statusOfJob(jobId)) === "processing", "the spin to start", 30_000);
    const next = await engine.jobs.submit({ type: "steady", queue: "spinners" }, apiActor);
    await new Promise((r) => setTimeout(r, 300));
    expect(await statusOfJob(next.jobId), "the only slot is taken by the spinning thread").toBe("queued");
    await engine.jobs.cancel(jobId, apiActor, "prompt-cancel test");
    const answered = Date.now();
    await waitFor(async () => (await statusOfJob(next.jobId)) === "completed", "the next job to run", 15_000);
    const started = (await engine.store.readEvents(next.jobId)).find((e) => e.type === "AttemptStarted");
    const ms = Date.parse(started?.at ?? "") - answered;
    console.log(`cancel answer → next job started on the freed slot (ms): ${ms}`);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(await statusOfJob(jobId)).toBe("cancelled");
    child.kill("SIGTERM");
  });
});
