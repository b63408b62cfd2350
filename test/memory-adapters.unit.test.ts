/** The port contracts, run against the in-memory adapters (src/infra/memory) on a manual clock. */
import { memoryAdapters } from "../src/infra/memory/index.ts";
import { eventStoreContract } from "./contract/event-store.contract.ts";
import type { PortsFixture } from "./contract/fixture.ts";
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
