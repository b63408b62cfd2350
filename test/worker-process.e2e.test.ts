import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusOf } from "../src/domain/index.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { checkInvariants } from "./support/invariants.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { spawnDocketWorker } from "./support/worker-process.ts";
import { startWorker } from "./support/workers.ts";

let redis: TestRedis;
let engine: TestEngine;

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
});
afterAll(async () => {
  await engine.close();
  await redis.stop();
});

const spawnWorker = (args: ReadonlyArray<string>) =>
  spawnDocketWorker({ redisUrl: redis.url, prefix: engine.prefix, leaseMs: 1_000, args });

const statusOfJob = async (jobId: string) => statusOf((await engine.jobs.get(jobId)).state);

describe("the worker process", () => {
  it("on SIGTERM stops taking work, finishes its in-flight job and exits 0", async () => {
    const { child, exited } = spawnWorker(["--name", "graceful"]);
    const { jobId } = await engine.jobs.submit({ type: "slow" }, apiActor);
    await waitFor(async () => (await statusOfJob(jobId)) === "processing", "the job to start", 20_000);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(await statusOfJob(jobId)).toBe("completed");
    const later = await engine.jobs.submit({ type: "slow" }, apiActor);
    await new Promise((r) => setTimeout(r, 300));
    expect(await statusOfJob(later.jobId)).toBe("queued");
    await engine.jobs.cancel(later.jobId, apiActor, "test cleanup");
  });

  it("killed with SIGKILL, leaves its entry pending; a live worker reclaims it and records lease_expired", async () => {
    const { child, exited } = spawnWorker(["--name", "doomed"]);
    const { jobId } = await engine.jobs.submit(
      { type: "hang", backoff: { type: "fixed", delayMs: 10 } },
      apiActor,
    );
    await waitFor(async () => (await statusOfJob(jobId)) === "processing", "the job to start", 20_000);
    child.kill("SIGKILL");
    await exited;
    const { worker } = await startWorker(
      engine,
      { hang: () => "recovered" },
      { leaseMs: 500, name: "rescuer" },
    );
    await waitFor(async () => (await statusOfJob(jobId)) === "completed", "the rescuer to finish the job");
    const failure = (await engine.store.readEvents(jobId)).find((e) => e.type === "AttemptFailed");
    expect(failure?.data).toMatchObject({ attempt: 1, error: { code: "lease_expired" } });
    await worker.stop(100);
  });

  it("killed with SIGKILL in the middle of many jobs, every job still ends exactly once, reclaimed attempts visible", async () => {
    const { child, exited } = spawnWorker(["--name", "busy", "--concurrency", "10"]);
    const submitted = await engine.jobs.submitMany(
      Array.from({ length: 400 }, (_, i) => ({
        type: "steady",
        payload: i,
        backoff: { type: "fixed", delayMs: 10 },
      })),
      apiActor,
    );
    const ids = submitted.map((r) => ("jobId" in r ? r.jobId : "missing"));
    const completedCount = async () =>
      (await engine.store.loadHeads(ids)).filter((h) => h !== null && statusOf(h.state) === "completed")
        .length;
    await waitFor(async () => (await completedCount()) >= 20, "the process to complete some jobs", 20_000);
    child.kill("SIGKILL");
    await exited;
    // 400 jobs of 150 ms at concurrency 10 take over 6 s: even on a loaded machine the kill
    // lands with work in flight.
    expect(await completedCount()).toBeLessThan(400);
    const { worker } = await startWorker(
      engine,
      { steady: () => "rescued" },
      { leaseMs: 500, name: "finisher", concurrency: 10 },
    );
    await waitFor(async () => (await completedCount()) === 400, "every job to complete", 30_000);
    await worker.stop(100);
    expect(await checkInvariants(engine, ids, { drained: true })).toEqual([]);
    const reclaimed = await Promise.all(
      ids.map(async (id) =>
        (await engine.store.readEvents(id)).some(
          (e) =>
            e.type === "AttemptFailed" &&
            (e.data as { error: { code: string } }).error.code === "lease_expired",
        ),
      ),
    );
    expect(reclaimed.filter(Boolean).length).toBeGreaterThan(0);
  });

  it("refuses a bad configuration with a clear message and exit code 2", async () => {
    const { child, exited } = spawnWorker(["--concurrency", "many"]);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exited).toBe(2);
    expect(stderr).toContain("--concurrency");
    // A name or queue no event or key can hold is a usage error too, not a crash.
    for (const args of [
      ["--name", "two words"],
      ["--queues", "ok,bad queue"],
    ]) {
      const bad = spawnWorker(args);
      let said = "";
      bad.child.stderr?.on("data", (chunk: Buffer) => (said += chunk.toString()));
      expect(await bad.exited, args.join(" ")).toBe(2);
      expect(said, args.join(" ")).toContain(`${args[0]}: `);
      expect(said).not.toContain("TypeError");
    }
  });
});
