/**
 * The worker's slot accounting on the in-memory adapters: its concurrency holds across its lanes,
 * max-jobs counts jobs taken by every lane, and burst mode ends only when nothing is runnable and
 * nothing runs. Handlers are held open until the test lets them finish, so every step is the
 * test's; the manual clock means no lease ever expires behind its back.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type Actor, statusOf } from "../src/domain/index.ts";
import { type Handler, Worker, type WorkerOptions } from "../src/engine/worker/index.ts";
import { JobService } from "../src/engine/write/index.ts";
import { MemoryEventStore, memoryAdapters, MemoryWorkQueue } from "../src/infra/memory/index.ts";
import { heldHandlers as heldTestHandlers } from "./support/held-handlers.ts";
import { ManualClock } from "./support/manual-clock.ts";
import { waitFor } from "./support/wait.ts";

const client: Actor = { kind: "client", id: "slots-test" };

const running: Array<Worker> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop(0)));
});

/** Memory adapters, two lanes on them (as two connections to one Redis), and a job service. */
const setup = () => {
  const clock = new ManualClock();
  const { storage, store, queue, registry } = memoryAdapters(clock);
  const lanes = [
    { store, queue },
    { store: new MemoryEventStore(storage), queue: new MemoryWorkQueue(storage) },
  ];
  const jobs = new JobService({ store, queue, clock, shards: 1 });
  const submit = async (count: number, extra: Record<string, unknown> = {}) =>
    (
      await jobs.submitMany(
        Array.from({ length: count }, (_, i) => ({ type: "held", payload: i, ...extra })),
        client,
      )
    ).map((r) => ("jobId" in r ? r.jobId : "refused"));
  const worker = (handler: Handler, options: Partial<WorkerOptions>) => {
    const w = new Worker({
      name: "slots",
      queues: ["default"],
      concurrency: 1,
      handlers: { held: handler },
      store,
      queue,
      registry,
      clock,
      lanes,
      blockMs: 20,
      ...options,
    });
    running.push(w);
    return w;
  };
  const statuses = async (ids: ReadonlyArray<string>) =>
    (await store.loadHeads(ids)).map((h) => (h === null ? "missing" : statusOf(h.state)));
  return { clock, store, queue, submit, worker, statuses };
};

/** Held handlers whose releaseOne insists that one is running. */
const heldHandlers = () => {
  const probe = heldTestHandlers();
  const releaseOne = () => {
    const release = probe.held.shift();
    if (release === undefined) throw new Error("no handler is running");
    release();
  };
  return { ...probe, releaseOne };
};

/** Let the worker's loops run every turn they have queued (no time passes on the manual clock). */
const settle = async (turns = 20) => {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
};

describe("a worker's slots", () => {
  it("never run more handlers at once than its concurrency, across both lanes, and run every job once", async () => {
    const { submit, worker, statuses } = setup();
    const ids = await submit(10);
    const { handler, state, runs, held, releaseOne } = heldHandlers();
    // Concurrency 3 over two lanes is 2 + 1: running 3 at once takes both lanes.
    const w = worker(handler, { concurrency: 3 });
    let mostReported = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        mostReported = Math.max(mostReported, w.info().inFlight);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const done = w.run();
    for (let left = ids.length; left > 0; left--) {
      await waitFor(() => state.running === Math.min(3, left), `${Math.min(3, left)} handlers to run`);
      await settle();
      expect(state.running).toBe(Math.min(3, left));
      expect(held).toHaveLength(state.running);
      releaseOne();
    }
    await waitFor(async () => (await statuses(ids)).every((s) => s === "completed"), "every job to complete");
    await w.stop();
    await done;
    sampling = false;
    await sampler;
    expect(state.most).toBe(3);
    expect(mostReported).toBe(3);
    expect(runs.size).toBe(10);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });

  it("claims each lane's next batch ahead: those entries wait, pending to the worker and not started, and are the next to start", async () => {
    const { queue, submit, worker, statuses } = setup();
    const ids = await submit(8);
    const { handler, state, runs, releaseOne } = heldHandlers();
    // Concurrency 2 over two lanes: each lane runs one job and holds one more claimed ahead.
    const w = worker(handler, { concurrency: 2 });
    const done = w.run();
    await waitFor(() => state.running === 2, "2 handlers to run");
    await settle();
    expect(state.running).toBe(2);
    expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 4, pending: 4 }]);
    // Each lane claimed its job and the next one: the first four submitted, oldest first.
    const firstFour = new Set(ids.slice(0, 4));
    expect([...runs.keys()].every((id) => firstFour.has(id))).toBe(true);
    releaseOne();
    await waitFor(
      async () => (await statuses(ids)).filter((s) => s === "completed").length === 1,
      "one job done",
    );
    await waitFor(() => state.running === 2, "the next handler to run");
    await settle();
    // An entry claimed ahead started, before any claimed later; its lane claimed one more ahead.
    expect(runs.size).toBe(3);
    expect([...runs.keys()].every((id) => firstFour.has(id))).toBe(true);
    expect(state.running).toBe(2);
    expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 3, pending: 4 }]);
    for (let left = 7; left > 0; left--) {
      await waitFor(() => state.running === Math.min(2, left), `${Math.min(2, left)} handlers to run`);
      releaseOne();
    }
    await waitFor(async () => (await statuses(ids)).every((s) => s === "completed"), "every job to complete");
    await w.stop();
    await done;
    expect(state.most).toBe(2);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });

  it("a worker that stops releases the entries it claimed ahead: another worker reclaims them at once, still queued", async () => {
    const { queue, submit, worker, statuses } = setup();
    const ids = await submit(8);
    const { handler, state, runs } = heldHandlers();
    const w = worker(handler, { concurrency: 2, leaseMs: 30_000 });
    const done = w.run();
    await waitFor(() => state.running === 2, "2 handlers to run");
    await settle();
    expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 4, pending: 4 }]);
    await w.stop(0);
    await done;
    // No time passed on the manual clock: only released entries are idle past the lease.
    const reclaimed = await queue.reclaim("other", ["default"], 30_000, 10);
    expect(reclaimed).toHaveLength(2);
    for (const entry of reclaimed) {
      expect(runs.has(entry.jobId)).toBe(false);
      expect(entry.head === null ? "missing" : statusOf(entry.head.state)).toBe("queued");
    }
    expect((await statuses(ids)).filter((s) => s === "queued")).toHaveLength(6);
  });

  it("without claim-ahead, a worker holds no more entries than it runs", async () => {
    const { queue, submit, worker } = setup();
    await submit(8);
    const { handler, state } = heldHandlers();
    const w = worker(handler, { concurrency: 2, claimAhead: false });
    const done = w.run();
    await waitFor(() => state.running === 2, "2 handlers to run");
    await settle();
    expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 6, pending: 2 }]);
    await w.stop(0);
    await done;
  });

  it("max-jobs: the lanes take exactly that many jobs between them, then run() ends and the rest stay queued", async () => {
    const { queue, submit, worker, statuses } = setup();
    const ids = await submit(12);
    const ran: Array<unknown> = [];
    const w = worker((payload) => void ran.push(payload), { concurrency: 4, maxJobs: 5 });
    await w.run();
    expect(ran).toHaveLength(5);
    const all = await statuses(ids);
    expect(all.filter((s) => s === "completed")).toHaveLength(5);
    expect(all.filter((s) => s === "queued")).toHaveLength(7);
    expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 7, pending: 0 }]);
  });

  it("burst: waits for running jobs, runs what becomes due, and ends when nothing is runnable and nothing runs", async () => {
    const { clock, submit, worker, statuses } = setup();
    const queued = await submit(3);
    const [due] = await submit(1, { delayMs: 1_000 });
    clock.advance(1_000);
    const [later] = await submit(1, { delayMs: 3_600_000 });
    const { handler, state, runs, releaseOne } = heldHandlers();
    const w = worker(handler, { concurrency: 2, burst: true });
    let ended = false;
    const done = w.run().then(() => (ended = true));
    for (let started = 0; started < 4; started++) {
      await waitFor(() => state.running > 0, "a handler to run");
      await settle();
      expect(state.running).toBeLessThanOrEqual(2);
      expect(ended).toBe(false);
      releaseOne();
    }
    await done;
    expect(state.running).toBe(0);
    expect([...runs.keys()].sort()).toEqual([...queued, due].sort());
    expect(await statuses([...queued, due as string])).toEqual([
      "completed",
      "completed",
      "completed",
      "completed",
    ]);
    expect(await statuses([later as string])).toEqual(["pending"]);
  });

  it("burst: a job that fails while nothing else is runnable is retried, when its retry is due, before the burst ends", async () => {
    const { submit, worker, statuses } = setup();
    const [jobId] = await submit(1, { backoff: { type: "fixed", delayMs: 0 } });
    const attempts: Array<number> = [];
    let finish: (() => void) | undefined;
    const w = worker(
      (_payload, ctx) =>
        new Promise((resolve, reject) => {
          attempts.push(ctx.attempt);
          finish = () => (ctx.attempt === 1 ? reject(new Error("flake")) : resolve("ok"));
        }),
      // One lane with room to spare: it finds nothing to claim while the job runs.
      { concurrency: 2, lanes: [], burst: true },
    );
    let ended = false;
    const done = w.run().then(() => (ended = true));
    await waitFor(() => attempts.length === 1, "the first attempt");
    await settle();
    expect(ended).toBe(false);
    finish?.();
    await waitFor(() => attempts.length === 2, "the retry");
    finish?.();
    await done;
    expect(attempts).toEqual([1, 2]);
    expect(await statuses([jobId as string])).toEqual(["completed"]);
  });
});
