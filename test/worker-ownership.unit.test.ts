/**
 * A worker's concurrency and its entries' ownership when deliveries outrun its slots, on the
 * in-memory adapters: entries it reclaims and entries a blocking read over-delivers wait for a
 * slot (leases kept) instead of running past its concurrency, and a worker that stalled between
 * claiming an entry and starting its job never drops the entry another worker now owns. The
 * manual clock moves only where a test moves it (what makes an entry idle past its lease).
 */
import { afterEach, describe, expect, it } from "vitest";
import { type Actor, statusOf } from "../src/domain/index.ts";
import { type Handler, Worker, type WorkerOptions, type WorkQueue } from "../src/engine/worker/index.ts";
import { type EventStore, JobService } from "../src/engine/write/index.ts";
import { memoryAdapters } from "../src/infra/memory/index.ts";
import { heldHandlers as heldTestHandlers } from "./support/held-handlers.ts";
import { ManualClock } from "./support/manual-clock.ts";
import { waitFor } from "./support/wait.ts";

const client: Actor = { kind: "client", id: "ownership-test" };
const LEASE_MS = 300;

const running: Array<Worker> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop(0)));
});

/** A port with some of its methods replaced (the others call the adapter's). */
const overriding = <P extends object>(port: P, overrides: Partial<P>): P =>
  new Proxy(port, {
    get: (target, key) =>
      key in overrides
        ? overrides[key as keyof P]
        : (...args: Array<unknown>) =>
            (Reflect.get(target, key) as (...a: Array<unknown>) => unknown).apply(target, args),
  });

const setup = () => {
  const clock = new ManualClock();
  const { store, queue, registry } = memoryAdapters(clock);
  const jobs = new JobService({ store, queue, clock, shards: 1 });
  const submit = async (specs: ReadonlyArray<Record<string, unknown>>) =>
    (
      await jobs.submitMany(
        specs.map((s) => ({ type: "held", ...s })),
        client,
      )
    ).map((r) => ("jobId" in r ? r.jobId : "refused"));
  const worker = (handler: Handler, options: Partial<WorkerOptions>) => {
    const w = new Worker({
      name: "owner",
      queues: ["default"],
      concurrency: 1,
      handlers: { held: handler },
      store,
      queue,
      registry,
      clock,
      leaseMs: LEASE_MS,
      blockMs: 20,
      heartbeatMs: 50,
      ...options,
    });
    running.push(w);
    return w;
  };
  const statuses = async (ids: ReadonlyArray<string>) =>
    (await store.loadHeads(ids)).map((h) => (h === null ? "missing" : statusOf(h.state)));
  return { clock, store, queue, submit, worker, statuses };
};

/** Held handlers (test/support), released one at a time with a check of how many run. */
const heldHandlers = () => {
  const probe = heldTestHandlers();
  const { state, held } = probe;
  /** Release the handlers one at a time, checking each time that no more than `limit` run. */
  const drainOneByOne = async (jobs: number, limit: number) => {
    for (let left = jobs; left > 0; left--) {
      await waitFor(
        () => state.running === Math.min(limit, left),
        `${Math.min(limit, left)} handler(s) to run`,
        2_000,
      );
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(state.running).toBe(Math.min(limit, left));
      held.shift()?.();
    }
  };
  const releaseOne = () => held.shift()?.();
  return { ...probe, drainOneByOne, releaseOne };
};

describe("a worker whose deliveries outrun its slots", () => {
  it("runs the queued entries it reclaims one slot at a time, never past its concurrency, each once", async () => {
    const { clock, queue, submit, worker, statuses } = setup();
    const ids = await submit([{}, {}, {}]);
    // A worker took the three entries and died before starting them.
    await queue.ensureGroups(["default"]);
    expect(await queue.claim("dead-worker", ["default"], 3)).toHaveLength(3);
    clock.advance(LEASE_MS);
    const { handler, state, runs, drainOneByOne } = heldHandlers();
    const w = worker(handler, { concurrency: 1 });
    const done = w.run();
    await drainOneByOne(3, 1);
    await waitFor(
      async () => (await statuses(ids)).every((s) => s === "completed"),
      "every job to complete",
      2_000,
    );
    await w.stop();
    await done;
    expect(state.most).toBe(1);
    expect([...runs.values()]).toEqual([1, 1, 1]);
    expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 0, pending: 0 }]);
  });

  it("runs what a blocking read over-delivers one slot at a time, never past its concurrency, each once", async () => {
    const { queue, submit, worker, statuses } = setup();
    // One entry on each level: a blocking read asks each stream for at least one.
    const ids = await submit([
      { priority: "critical" },
      { priority: "high" },
      { priority: "normal" },
      { priority: "low" },
    ]);
    // The claim that precedes the blocking read found nothing: entries arrived just after it.
    const late = overriding<WorkQueue>(queue, { claim: async () => [] });
    const { handler, state, runs, drainOneByOne } = heldHandlers();
    const w = worker(handler, { concurrency: 1, queue: late });
    const done = w.run();
    await drainOneByOne(4, 1);
    await waitFor(
      async () => (await statuses(ids)).every((s) => s === "completed"),
      "every job to complete",
      2_000,
    );
    await w.stop();
    await done;
    expect(state.most).toBe(1);
    expect([...runs.values()]).toEqual([1, 1, 1, 1]);
    expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 0, pending: 0 }]);
  });

  it("a worker that stalled between claiming an entry and starting its job leaves the entry to the worker that reclaimed it, whose attempt completes", async () => {
    const { clock, store, queue, submit, worker, statuses } = setup();
    const [jobId] = await submit([{}]);
    // Worker A claims the entry, then stalls inside its start (its append waits for the test).
    let wake: (() => void) | undefined;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    let stalledAppends = 0;
    const stalledStore = overriding<EventStore>(store, {
      appendMany: async (requests) => {
        stalledAppends += 1;
        await woken;
        return store.appendMany(requests);
      },
    });
    // A's own lease is long: only B reclaims.
    const a = worker(() => null, { name: "stalled", store: stalledStore, leaseMs: 3_600_000 });
    const aDone = a.run();
    await waitFor(() => stalledAppends === 1, "worker A to stall in its start", 2_000);
    clock.advance(LEASE_MS);
    // Worker B reclaims the idle entry and starts the job.
    let renewals = 0;
    const lost: Array<unknown> = [];
    const counting = overriding<WorkQueue>(queue, {
      renew: async (consumer, entries) => {
        const gone = await queue.renew(consumer, entries);
        renewals += 1;
        lost.push(...gone);
        return gone;
      },
    });
    const { handler, state, runs, releaseOne } = heldHandlers();
    const b = worker(handler, { name: "reclaimer", queue: counting });
    const bDone = b.run();
    await waitFor(() => state.running === 1, "worker B to run the job", 2_000);
    // A wakes: its start is refused (the job is B's now), and its loop ends.
    wake?.();
    await a.stop();
    await aDone;
    // B renews its lease twice after that (a lost entry would abort its handler).
    const seen = renewals;
    await waitFor(() => renewals >= seen + 2 || lost.length > 0, "two of B's lease renewals", 2_000);
    expect(lost).toEqual([]);
    releaseOne();
    await waitFor(
      async () => (await statuses([jobId as string]))[0] === "completed",
      "B's attempt to complete",
      5_000,
    );
    await b.stop();
    await bDone;
    expect([...runs.values()]).toEqual([1]);
    expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 0, pending: 0 }]);
  });
});
