import * as Result from "effect/Result";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextOf, replay, statusOf } from "../src/domain/index.ts";
import { CommandRefused, systemClock } from "../src/engine/shared/index.ts";
import { NonRetryableError, type Worker } from "../src/engine/worker/index.ts";
import { JobWriter } from "../src/engine/write/index.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { checkInvariants } from "./support/invariants.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker, workerOn } from "./support/workers.ts";

let redis: TestRedis;
const engines: Array<TestEngine> = [];
const workers: Array<Worker> = [];
const engine = async () => {
  const e = await makeEngine(redis.url);
  engines.push(e);
  return e;
};
const worker = async (...args: Parameters<typeof startWorker>) => {
  const started = await startWorker(...args);
  workers.push(started.worker);
  return started;
};

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop(100)));
  for (const e of engines) await e.close();
  await redis.stop();
});

const statusOfJob = async (e: TestEngine, jobId: string) => statusOf((await e.jobs.get(jobId)).state);
const untilStatus = (e: TestEngine, jobId: string, status: string, timeoutMs?: number) =>
  waitFor(async () => (await statusOfJob(e, jobId)) === status, `job ${jobId} to be ${status}`, timeoutMs);
const typesOf = async (e: TestEngine, jobId: string) =>
  (await e.store.readEvents(jobId)).map((ev) => ev.type);

describe("workers", () => {
  it("run a job to completion, recording progress and log lines, with a history that replays", async () => {
    const e = await engine();
    await worker(e, {
      "send-email": async (payload, ctx) => {
        await ctx.log(`Executing send-email job for ${(payload as { to: string }).to}`);
        await ctx.progress(1, 2, "connecting");
        return { delivered: true, attempt: ctx.attempt };
      },
    });
    const { jobId } = await e.jobs.submit({ type: "send-email", payload: { to: "a@example.com" } }, apiActor);
    await untilStatus(e, jobId, "completed");
    expect(await typesOf(e, jobId)).toEqual([
      "JobSubmitted",
      "AttemptStarted",
      "LogRecorded",
      "ProgressReported",
      "JobCompleted",
    ]);
    const head = await e.jobs.get(jobId);
    expect(contextOf(head.state).result).toEqual({ delivered: true, attempt: 1 });
    const replayed = replay(await e.store.readEvents(jobId), {
      anchor: { version: head.version, lastHash: head.lastHash },
    });
    expect(Result.isSuccess(replayed)).toBe(true);
  });

  it("serve higher priorities first", async () => {
    const e = await engine();
    const order: Array<string> = [];
    for (const priority of ["low", "normal", "critical", "high", "low", "critical"] as const)
      await e.jobs.submit({ type: "note", payload: priority, priority }, apiActor);
    await worker(e, { note: (payload) => void order.push(String(payload)) });
    await waitFor(() => order.length === 6, "six jobs");
    expect(order).toEqual(["critical", "critical", "high", "normal", "low", "low"]);
  });

  it("retry a failing job by its backoff and complete it on a later attempt", async () => {
    const e = await engine();
    let calls = 0;
    await worker(e, {
      flaky: () => {
        calls += 1;
        if (calls < 3) throw new Error(`flake ${calls}`);
        return "ok";
      },
    });
    const { jobId } = await e.jobs.submit(
      { type: "flaky", maxAttempts: 3, backoff: { type: "fixed", delayMs: 50 } },
      apiActor,
    );
    await untilStatus(e, jobId, "completed");
    expect(await typesOf(e, jobId)).toEqual([
      "JobSubmitted",
      "AttemptStarted",
      "AttemptFailed",
      "JobQueued",
      "AttemptStarted",
      "AttemptFailed",
      "JobQueued",
      "AttemptStarted",
      "JobCompleted",
    ]);
  });

  it("dead-letter a job when retries are spent, when the error is not retryable, and when no handler exists", async () => {
    const e = await engine();
    await worker(e, {
      always: () => {
        throw new Error("down");
      },
      permanent: () => {
        throw new NonRetryableError("bad input", "bad_input");
      },
      plain: () => {
        throw Object.assign(new Error("nope"), { retryable: false });
      },
    });
    const spent = await e.jobs.submit(
      { type: "always", maxAttempts: 2, backoff: { type: "fixed", delayMs: 10 } },
      apiActor,
    );
    const permanent = await e.jobs.submit({ type: "permanent", maxAttempts: 5 }, apiActor);
    const plain = await e.jobs.submit({ type: "plain", maxAttempts: 5 }, apiActor);
    const orphan = await e.jobs.submit({ type: "unknown-type", maxAttempts: 5 }, apiActor);
    for (const { jobId } of [spent, permanent, plain, orphan]) await untilStatus(e, jobId, "dead_letter");
    const attempts = async (jobId: string) => contextOf((await e.jobs.get(jobId)).state);
    expect((await attempts(spent.jobId)).attempt).toBe(2);
    expect(await attempts(permanent.jobId)).toMatchObject({
      attempt: 1,
      lastError: { code: "bad_input", retryable: false },
    });
    expect((await attempts(plain.jobId)).attempt).toBe(1);
    expect(await attempts(orphan.jobId)).toMatchObject({
      attempt: 1,
      lastError: { code: "no_handler", retryable: false },
    });
    expect(
      await checkInvariants(e, [spent.jobId, permanent.jobId, plain.jobId, orphan.jobId], { drained: true }),
    ).toEqual([]);
    const dead = (await e.jobs.deadLetters()).map((h) => h.jobId).sort();
    expect(dead).toEqual([spent.jobId, permanent.jobId, plain.jobId, orphan.jobId].sort());
    const views = await e.jobs.deadLetterViews();
    expect(views.map((v) => v.id).sort()).toEqual(dead);
    expect(views.every((v) => v.status === "dead_letter")).toBe(true);
  });

  it("run a dead letter again after a recorded manual retry", async () => {
    const e = await engine();
    let broken = true;
    await worker(e, {
      fragile: () => {
        if (broken) throw new NonRetryableError("config missing");
        return "fixed";
      },
    });
    const { jobId } = await e.jobs.submit({ type: "fragile" }, apiActor);
    await untilStatus(e, jobId, "dead_letter");
    broken = false;
    await e.jobs.retry(jobId, { kind: "operator", id: "alice" }, "config restored");
    await untilStatus(e, jobId, "completed");
    const retried = (await e.store.readEvents(jobId)).find((ev) => ev.type === "JobRetried");
    expect(retried).toMatchObject({
      actor: { kind: "operator", id: "alice" },
      data: { reason: "config restored" },
    });
    expect(await e.jobs.deadLetters()).toEqual([]);
    expect(await e.jobs.deadLetterViews()).toEqual([]);
  });

  it("retry all dead letters at once", async () => {
    const e = await engine();
    let broken = true;
    await worker(e, {
      fragile: () => {
        if (broken) throw new NonRetryableError("down");
      },
    });
    const ids = await Promise.all([1, 2, 3].map(() => e.jobs.submit({ type: "fragile" }, apiActor)));
    for (const { jobId } of ids) await untilStatus(e, jobId, "dead_letter");
    broken = false;
    expect(await e.jobs.retryAllDeadLetters({ kind: "operator", id: "bob" }, "outage over")).toBe(3);
    for (const { jobId } of ids) await untilStatus(e, jobId, "completed");
  });

  it("abort a handler that runs past its timeout and count it as a failed attempt", async () => {
    const e = await engine();
    let sawAbort = false;
    await worker(e, {
      slow: (_p, ctx) =>
        new Promise((resolve) =>
          ctx.signal.addEventListener("abort", () => {
            sawAbort = true;
            resolve(null);
          }),
        ),
    });
    const { jobId } = await e.jobs.submit({ type: "slow", timeoutMs: 100, maxAttempts: 1 }, apiActor);
    await untilStatus(e, jobId, "dead_letter");
    expect(contextOf((await e.jobs.get(jobId)).state).lastError).toMatchObject({
      code: "timeout",
      retryable: true,
    });
    expect(sawAbort).toBe(true);
  });

  it("cancel a processing job: the job ends cancelled and its handler is aborted", async () => {
    const e = await engine();
    let started = false;
    let aborted = false;
    await worker(
      e,
      {
        long: (_p, ctx) =>
          new Promise((resolve) => {
            started = true;
            ctx.signal.addEventListener("abort", () => {
              aborted = true;
              resolve("too late");
            });
          }),
      },
      { leaseMs: 300 },
    );
    const { jobId } = await e.jobs.submit({ type: "long" }, apiActor);
    await waitFor(() => started, "the handler to start");
    await e.jobs.cancel(jobId, apiActor, "user gave up");
    await waitFor(() => aborted, "the handler to be aborted");
    expect(await statusOfJob(e, jobId)).toBe("cancelled");
    expect((await typesOf(e, jobId)).slice(-1)).toEqual(["JobCancelled"]);
  });

  it("promote a delayed job when it is due, then run it", async () => {
    const e = await engine();
    await worker(e, { later: () => "ran" });
    const { jobId, head } = await e.jobs.submit({ type: "later", delayMs: 300 }, apiActor);
    expect(head && statusOf(head.state)).toBe("pending");
    await untilStatus(e, jobId, "completed");
    expect(await typesOf(e, jobId)).toEqual(["JobSubmitted", "JobQueued", "AttemptStarted", "JobCompleted"]);
  });
});

describe("crash recovery", () => {
  it("a dead worker's job is reclaimed, its attempt ends with lease_expired, and a live worker finishes it", async () => {
    const e = await engine();
    let firstStarted = false;
    const a = await worker(
      e,
      { job: () => new Promise(() => (firstStarted = true)) },
      { leaseMs: 300, name: "a" },
    );
    const { jobId } = await e.jobs.submit({ type: "job", backoff: { type: "fixed", delayMs: 10 } }, apiActor);
    await waitFor(() => firstStarted, "worker a to start the job");
    await a.worker.crash();
    await worker(e, { job: () => "done by b" }, { leaseMs: 300, name: "b" });
    await untilStatus(e, jobId, "completed");
    const events = await e.store.readEvents(jobId);
    const lost = events.find((ev) => ev.type === "AttemptFailed");
    expect(lost?.data).toMatchObject({ attempt: 1, error: { code: "lease_expired", retryable: true } });
    expect(lost?.actor.id.startsWith("b-")).toBe(true);
    expect(events.filter((ev) => ev.type === "JobCompleted")).toHaveLength(1);
    expect(await checkInvariants(e, [jobId], { drained: true })).toEqual([]);
  });

  it("a job that kills its worker every time ends in dead_letter, not in a loop", async () => {
    const e = await engine();
    const { jobId } = await e.jobs.submit(
      { type: "poison", maxAttempts: 2, backoff: { type: "fixed", delayMs: 10 } },
      apiActor,
    );
    for (let round = 0; round < 3 && (await statusOfJob(e, jobId)) !== "dead_letter"; round++) {
      let started = false;
      const w = await worker(
        e,
        { poison: () => new Promise(() => (started = true)) },
        { leaseMs: 300, name: `p${round}` },
      );
      await waitFor(
        async () => started || (await statusOfJob(e, jobId)) === "dead_letter",
        "poison to run or die",
      );
      await w.worker.crash();
    }
    const reaper = await worker(e, {}, { leaseMs: 300, name: "reaper" });
    await untilStatus(e, jobId, "dead_letter");
    await reaper.worker.stop(100);
    const failures = (await e.store.readEvents(jobId)).filter((ev) => ev.type === "AttemptFailed");
    expect(failures.map((f) => (f.data as { error: { code: string } }).error.code)).toEqual([
      "lease_expired",
      "lease_expired",
    ]);
    expect(await checkInvariants(e, [jobId], { drained: true })).toEqual([]);
  });

  it("a handler running far past the lease keeps it alive: a second worker does not reclaim it", async () => {
    const e = await engine();
    await worker(
      e,
      { long: () => new Promise((r) => setTimeout(() => r("done"), 1_500)) },
      { leaseMs: 300, name: "holder" },
    );
    const { jobId } = await e.jobs.submit({ type: "long" }, apiActor);
    await untilStatus(e, jobId, "processing");
    await worker(e, { long: () => "stolen" }, { leaseMs: 300, name: "watcher" });
    await untilStatus(e, jobId, "completed");
    const events = await e.store.readEvents(jobId);
    expect(events.map((ev) => ev.type)).toEqual(["JobSubmitted", "AttemptStarted", "JobCompleted"]);
    expect(contextOf((await e.jobs.get(jobId)).state).result).toBe("done");
  });

  it("a stale worker's completion is refused by the store after its lease was taken over", async () => {
    const e = await engine();
    const { jobId } = await e.jobs.submit(
      { type: "x", backoff: { type: "fixed", delayMs: 60_000 } },
      apiActor,
    );
    const zombie = new JobWriter(e.store, systemClock);
    const at = () => new Date().toISOString();
    const started = await zombie.write({
      jobId,
      command: () => ({
        type: "StartAttempt",
        at: at(),
        actor: { kind: "worker", id: "zombie" },
        attempt: 1,
      }),
    });
    if (started._tag !== "Written") throw new Error("start failed");
    await new JobWriter(e.store, systemClock).write({
      jobId,
      command: () => ({
        type: "FailAttempt",
        at: at(),
        actor: { kind: "worker", id: "reclaimer" },
        attempt: 1,
        error: { code: "lease_expired", message: "lease expired", retryable: true },
      }),
    });
    const late = await zombie
      .write(
        {
          jobId,
          command: () => ({
            type: "CompleteAttempt",
            at: at(),
            actor: { kind: "worker", id: "zombie" },
            attempt: 1,
            result: 1,
          }),
        },
        started.head,
      )
      .catch((x: unknown) => x);
    expect(late).toBeInstanceOf(CommandRefused);
    expect(await typesOf(e, jobId)).not.toContain("JobCompleted");
    // Only the live attempt's outcome is in the history: attempt 1 ended by the reclaimer.
    const failures = (await e.store.readEvents(jobId)).filter((ev) => ev.type === "AttemptFailed");
    expect(failures.map((f) => f.actor.id)).toEqual(["reclaimer"]);
    expect(await checkInvariants(e, [jobId])).toEqual([]);
  });
});

describe("worker lifecycle", () => {
  it("stop lets in-flight jobs finish within the grace period", async () => {
    const e = await engine();
    const { worker: w } = await worker(e, {
      brief: () => new Promise((r) => setTimeout(() => r("done"), 200)),
    });
    const { jobId } = await e.jobs.submit({ type: "brief" }, apiActor);
    await untilStatus(e, jobId, "processing");
    await w.stop(5_000);
    expect(await statusOfJob(e, jobId)).toBe("completed");
  });

  it("stop hands back jobs still running at the deadline as a retryable failed attempt", async () => {
    const e = await engine();
    const { worker: w } = await worker(e, { stuck: () => new Promise(() => {}) });
    const { jobId } = await e.jobs.submit(
      { type: "stuck", backoff: { type: "fixed", delayMs: 60_000 } },
      apiActor,
    );
    await untilStatus(e, jobId, "processing");
    await w.stop(100);
    expect(await statusOfJob(e, jobId)).toBe("failed");
    expect(contextOf((await e.jobs.get(jobId)).state).lastError).toMatchObject({
      code: "worker_shutdown",
      retryable: true,
    });
  });

  it("burst mode drains the queue and exits; max-jobs exits after N jobs", async () => {
    const e = await engine();
    await e.jobs.submitMany(
      Array.from({ length: 12 }, (_, i) => ({ type: "n", payload: i })),
      apiActor,
    );
    const { done } = await startWorker(e, { n: () => null }, { burst: true, concurrency: 4 });
    await done;
    const depth = await e.queue.depth(["default"]);
    expect(depth).toEqual([{ queue: "default", waiting: 0, pending: 0 }]);
    await e.jobs.submitMany(
      Array.from({ length: 8 }, (_, i) => ({ type: "n", payload: i })),
      apiActor,
    );
    const limited = await startWorker(e, { n: () => null }, { maxJobs: 5, concurrency: 2 });
    await limited.done;
    const after = await e.queue.depth(["default"]);
    expect(after[0]?.waiting).toBe(3);
  });

  it("a worker with two claim loops (lanes) runs every job exactly once, never more at a time than its concurrency, and honours max-jobs and burst across both", async () => {
    const e = await engine();
    const [a, b] = [await e.workerPorts(), await e.workerPorts()];
    const lanes = [
      { store: a.store, queue: a.queue },
      { store: b.store, queue: b.queue },
    ];
    const ids = (
      await e.jobs.submitMany(
        Array.from({ length: 300 }, (_, i) => ({ type: "n", payload: i })),
        apiActor,
      )
    ).map((r) => ("jobId" in r ? r.jobId : "missing"));
    let running = 0;
    let most = 0;
    let mostReported = 0;
    let current: Worker | undefined;
    const runs = new Map<unknown, number>();
    const handler = async (payload: unknown) => {
      running += 1;
      most = Math.max(most, running);
      runs.set(payload, (runs.get(payload) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      running -= 1;
    };
    // Sample what the worker reports on every turn of the event loop, also between a handler's
    // end and its outcome being written.
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        mostReported = Math.max(mostReported, current?.info().inFlight ?? 0);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const limited = workerOn(a, { n: handler }, { lanes, concurrency: 7, maxJobs: 100 });
    current = limited;
    await limited.run();
    expect([...runs.values()].reduce((x, y) => x + y, 0)).toBe(100);
    const drained = workerOn(a, { n: handler }, { lanes, concurrency: 7, burst: true });
    current = drained;
    await drained.run();
    sampling = false;
    await sampler;
    expect(runs.size).toBe(300);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(most).toBeLessThanOrEqual(7);
    expect(most).toBeGreaterThan(1);
    // What the registry is told: running handlers, never more than the concurrency.
    expect(mostReported).toBeLessThanOrEqual(7);
    expect(mostReported).toBeGreaterThan(1);
    for (const id of ids) expect(await statusOfJob(e, id)).toBe("completed");
    expect(await checkInvariants(e, ids, { drained: true })).toEqual([]);
  });

  it("the registry lists live workers with their counts, and a dead worker ages out", async () => {
    const e = await engine();
    const { worker: w } = await worker(
      e,
      { ok: () => 1 },
      { name: "reg", concurrency: 3, queues: ["default", "media"] },
    );
    const { jobId } = await e.jobs.submit({ type: "ok" }, apiActor);
    await untilStatus(e, jobId, "completed");
    const listed = await waitFor(async () => {
      const all = await e.registry.list(Date.now());
      const me = all.find((info) => info.id === w.id);
      return me !== undefined && me.completed === 1 ? me : undefined;
    }, "a heartbeat with the completed count");
    expect(listed).toMatchObject({
      name: "reg",
      concurrency: 3,
      queues: ["default", "media"],
      pid: process.pid,
      failed: 0,
    });
    await w.crash();
    await waitFor(
      async () => !(await e.registry.list(Date.now())).some((info) => info.id === w.id),
      "the dead worker to age out",
    );
  });
});
