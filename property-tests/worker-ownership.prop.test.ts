/**
 * Worker slots and entry ownership under races (issue 12, ADR 0025). Real Workers (two lanes
 * each) on the in-memory adapters and a manual clock; generated schedules interleave submits at
 * every priority, blocking reads that deliver more than was asked (the claim before them finds
 * nothing), worker stalls (every call a stalled worker makes waits until it wakes, as a paused
 * process), and lease expiries (the clock jumps past the lease, so live workers reclaim).
 * Handlers honour their abort signal, so the count of handlers running is exact.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Actor, statusOf } from "../src/domain/index.ts";
import { type Handler, Worker, type WorkQueue } from "../src/engine/worker/index.ts";
import { type EventStore, JobService } from "../src/engine/write/index.ts";
import { MemoryEventStore, memoryAdapters, MemoryWorkQueue } from "../src/infra/memory/index.ts";
import { ManualClock } from "../test/support/manual-clock.ts";

const LEASE_MS = 200;
const client: Actor = { kind: "client", id: "ownership-prop" };
const PRIORITIES = ["critical", "high", "normal", "low"] as const;

type Step =
  | {
      readonly kind: "submit";
      readonly priorities: ReadonlyArray<(typeof PRIORITIES)[number]>;
      readonly durationsMs: ReadonlyArray<number>;
    }
  | { readonly kind: "expireLeases" }
  | { readonly kind: "stall"; readonly worker: number }
  | { readonly kind: "wake"; readonly worker: number }
  | { readonly kind: "pause"; readonly ms: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("submit" as const),
    priorities: fc.array(fc.constantFrom(...PRIORITIES), { minLength: 1, maxLength: 5 }),
    durationsMs: fc.array(fc.constantFrom(0, 2, 150), { minLength: 1, maxLength: 5 }),
  }),
  fc.constant({ kind: "expireLeases" as const }),
  fc.record({ kind: fc.constant("stall" as const), worker: fc.nat(2) }),
  fc.record({ kind: fc.constant("wake" as const), worker: fc.nat(2) }),
  // Long enough, at its longest, for a reclaim pass (every LEASE_MS / 2) to run meanwhile.
  fc.record({ kind: fc.constant("pause" as const), ms: fc.integer({ min: 0, max: 160 }) }),
);

const workerArb = fc.record({ concurrency: fc.integer({ min: 1, max: 3 }), claimMisses: fc.boolean() });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port whose every call first waits for `gate()`, then runs `around` (or the port's own method). */
const gated = <P extends object>(port: P, gate: () => Promise<void>, around: Partial<P> = {}): P =>
  new Proxy(port, {
    get: (target, key) => {
      const own = (key in around ? around[key as keyof P] : Reflect.get(target, key)) as (
        ...args: Array<unknown>
      ) => unknown;
      return async (...args: Array<unknown>) => {
        await gate();
        return own.apply(key in around ? around : target, args);
      };
    },
  });

const runSchedule = async (
  workerSpecs: ReadonlyArray<{ concurrency: number; claimMisses: boolean }>,
  steps: ReadonlyArray<Step>,
) => {
  const clock = new ManualClock();
  const { storage, store, queue, registry } = memoryAdapters(clock);
  const jobs = new JobService({ store, queue, clock, shards: 1 });
  await queue.ensureGroups(["default"]);
  const violations: Array<string> = [];
  const mostRunning: Array<number> = [];
  const workers = workerSpecs.map((spec, w) => {
    let stalled: Promise<void> | undefined;
    let wake = () => {};
    const gate = () => stalled ?? Promise.resolve();
    const consumer = { id: "" };
    let running = 0;
    mostRunning[w] = 0;
    // Some handlers outlast a stall: a stalled worker may wake while another runs the job.
    const handler: Handler = (payload, ctx) =>
      new Promise((resolve) => {
        const durationMs = typeof payload === "number" ? payload : 0;
        running += 1;
        mostRunning[w] = Math.max(mostRunning[w] ?? 0, running);
        let over = false;
        const end = () => {
          if (over) return;
          over = true;
          running -= 1;
          resolve(null);
        };
        ctx.signal.addEventListener("abort", end);
        setTimeout(end, durationMs);
      });
    const laneOn = (laneStore: EventStore, laneQueue: WorkQueue) => ({
      store: gated(laneStore, gate),
      queue: gated(laneQueue, gate, {
        ...(spec.claimMisses ? { claim: async () => [] } : {}),
        // Whoever owns the entry when the discard runs: only this worker may make it go.
        discard: async (by: string, entry: { stream: string; entryId: string }) => {
          const ownerOf = () => storage.existingStream(entry.stream)?.ownerOf(entry.entryId);
          const owner = ownerOf();
          const dropped = await laneQueue.discard(by, entry);
          if (owner !== undefined && owner !== consumer.id && ownerOf() === undefined)
            violations.push(`${consumer.id} dropped ${entry.entryId}, pending to ${owner}`);
          return dropped;
        },
      } as Partial<WorkQueue>),
    });
    const lanes = [laneOn(store, queue), laneOn(new MemoryEventStore(storage), new MemoryWorkQueue(storage))];
    const worker = new Worker({
      name: `w${w}`,
      queues: ["default"],
      concurrency: spec.concurrency,
      handlers: { job: handler },
      store: lanes[0]?.store as EventStore,
      queue: lanes[0]?.queue as WorkQueue,
      registry,
      clock,
      lanes,
      leaseMs: LEASE_MS,
      blockMs: 10,
      heartbeatMs: 1_000,
      schedulerIntervalMs: 25,
      shutdownGraceMs: 0,
    });
    consumer.id = worker.id;
    const done = worker.run();
    return {
      worker,
      done,
      stall: () => {
        stalled ??= new Promise<void>((resolve) => (wake = resolve));
      },
      wake: () => {
        stalled = undefined;
        wake();
      },
    };
  });
  const ids: Array<string> = [];
  try {
    for (const step of steps) {
      if (step.kind === "submit") {
        const results = await jobs.submitMany(
          step.priorities.map((priority, i) => ({
            type: "job",
            priority,
            maxAttempts: 10,
            // A retry is due one clock step after its failure: the drain below advances the clock
            // in lease-sized steps, and an exponential backoff (the default) would outgrow them.
            backoff: { type: "fixed" as const, delayMs: LEASE_MS / 2 },
            payload: step.durationsMs[i % step.durationsMs.length] ?? 0,
          })),
          client,
        );
        for (const r of results) if ("jobId" in r) ids.push(r.jobId);
      } else if (step.kind === "expireLeases") clock.advance(LEASE_MS);
      else if (step.kind === "stall") workers[step.worker % workers.length]?.stall();
      else if (step.kind === "wake") workers[step.worker % workers.length]?.wake();
      else await sleep(step.ms);
    }
    for (const w of workers) w.wake();
    // Drain: leases expire now and then, so an entry left pending by a refused start is reclaimed.
    // The bound is generous (a loaded machine runs the handlers' real timers late); a settled
    // schedule leaves at once.
    let settled = false;
    for (let round = 0; round < 1_000 && !settled; round++) {
      const heads = await store.loadHeads(ids);
      settled = heads.every((h) => h !== null && ["completed", "dead_letter"].includes(statusOf(h.state)));
      if (!settled) {
        await sleep(20);
        if (round % 5 === 4) clock.advance(LEASE_MS);
      }
    }
    const statuses = (await store.loadHeads(ids)).map((h) => (h === null ? "missing" : statusOf(h.state)));
    return { statuses, violations, mostRunning, depth: await queue.depth(["default"]) };
  } finally {
    for (const w of workers) w.wake();
    await Promise.all(workers.map((w) => w.worker.stop(0)));
  }
};

describe("worker slots and entry ownership", () => {
  it("for any interleaving of deliveries, over-deliveries, reclaims and stalls, no worker runs more handlers than its concurrency, no entry is dropped by a consumer that does not own it, and every job ends terminal with no entry left", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(workerArb, { minLength: 2, maxLength: 3 }),
        fc.array(stepArb, { minLength: 1, maxLength: 14 }),
        async (workerSpecs, steps) => {
          const { statuses, violations, mostRunning, depth } = await runSchedule(workerSpecs, steps);
          expect(violations).toEqual([]);
          mostRunning.forEach((most, w) =>
            expect(most).toBeLessThanOrEqual(workerSpecs[w]?.concurrency ?? 0),
          );
          expect(statuses.filter((s) => s !== "completed" && s !== "dead_letter")).toEqual([]);
          expect(depth).toEqual([{ queue: "default", waiting: 0, pending: 0 }]);
        },
      ),
      { numRuns: Math.min(Number(process.env.FC_NUM_RUNS ?? 60), 60) },
    );
  });
});
