/**
 * The port contracts, run against the in-memory adapters (src/infra/memory) on a manual clock,
 * and what the memory adapters refuse where Redis would write something broken.
 */
import { describe, expect, it } from "vitest";
import { memoryAdapters } from "../src/infra/memory/index.ts";
import { eventStoreContract } from "./contract/event-store.contract.ts";
import { commands, type PortsFixture, prepare, prepareSubmit } from "./contract/fixture.ts";
import { workQueueContract } from "./contract/work-queue.contract.ts";
import { workerRegistryContract } from "./contract/worker-registry.contract.ts";
import { ManualClock } from "./support/manual-clock.ts";

const makeFixture = async (): Promise<PortsFixture> => {
  const clock = new ManualClock();
  const { store, queue, registry } = memoryAdapters(clock);
  return {
    store,
    queue,
    registry,
    now: () => clock.now(),
    elapse: async (ms) => clock.advance(ms),
    // A memory waitForWork that finds nothing is blocked as soon as it is called.
    untilBlocked: async () => {},
  };
};

eventStoreContract("memory adapters", makeFixture);
workQueueContract("memory adapters", makeFixture);
workerRegistryContract("memory adapters", makeFixture);

describe("the memory event store, stricter than Redis", () => {
  it("refuses to create a job without `create`, and to make a job pending or failed without a due time; earlier appends of the call stay", async () => {
    const clock = new ManualClock();
    const { store, queue } = memoryAdapters(clock);
    await queue.ensureGroups(["default"]);
    const first = prepareSubmit(clock.now());
    const { create: _dropped, ...uncreated } = prepareSubmit(clock.now()).request;
    await expect(store.appendMany([first.request, uncreated])).rejects.toThrow(/create/);
    expect(await store.loadHead(first.request.jobId)).toEqual(first.next);
    expect(await store.loadHead(uncreated.jobId)).toBeNull();
    const running = prepare(first.next, [commands.start(first.next, clock.now())], clock.now());
    await store.append(running.request);
    const failed = prepare(running.next, [commands.fail(running.next, clock.now(), true)], clock.now());
    const undated = {
      ...failed.request,
      next: { ...failed.next.state, context: { ...failed.next.state.context, dueAt: null } },
    };
    await expect(store.append(undated)).rejects.toThrow(/due time/);
    expect(await store.loadHead(first.request.jobId)).toEqual(running.next);
  });
});
