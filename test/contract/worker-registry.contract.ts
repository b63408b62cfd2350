/**
 * The WorkerRegistry port's contract: run by test/redis-adapters.int.test.ts and
 * test/memory-adapters.unit.test.ts. Times are given to `list` explicitly, so nothing waits.
 */
import { describe, expect, it } from "vitest";
import type { WorkerInfo } from "../../src/engine/worker/index.ts";
import { iso, type MakeFixture, newId } from "./fixture.ts";

const T = Date.UTC(2026, 0, 1);
/** Long enough that Redis's own expiry of a worker's key (by its clock) never comes into a test. */
const TTL_MS = 60_000;

const infoOf = (overrides: Partial<WorkerInfo> = {}): WorkerInfo => ({
  id: `w-${newId()}`,
  name: "w",
  host: "test-host",
  pid: 4242,
  queues: ["default", "media"],
  concurrency: 4,
  inFlight: 2,
  status: "busy",
  currentJobs: ["job-a", "job-b"],
  completed: 10,
  failed: 1,
  startedAt: iso(T - 60_000),
  lastSeenAt: iso(T),
  ...overrides,
});

const idsOf = (workers: ReadonlyArray<WorkerInfo>): Array<string> => workers.map((w) => w.id).sort();

export const workerRegistryContract = (name: string, makeFixture: MakeFixture): void => {
  describe(`${name}: the WorkerRegistry contract`, () => {
    it("lists a worker's info as its heartbeat gave it, until its TTL from lastSeenAt runs out", async () => {
      const { registry } = await makeFixture();
      const info = infoOf();
      await registry.heartbeat(info, TTL_MS);
      expect(await registry.list(T)).toEqual([info]);
      expect(await registry.list(T + TTL_MS - 1)).toEqual([info]);
      expect(await registry.list(T + TTL_MS)).toEqual([]);
    });

    it("a later heartbeat replaces the info and extends the TTL", async () => {
      const { registry } = await makeFixture();
      const info = infoOf();
      await registry.heartbeat(info, TTL_MS);
      const later = { ...info, completed: 11, inFlight: 0, lastSeenAt: iso(T + 5_000) };
      await registry.heartbeat(later, TTL_MS);
      expect(await registry.list(T + TTL_MS)).toEqual([later]);
    });

    it("lists every live worker; one whose TTL ran out ages out, one removed is gone at once", async () => {
      const { registry } = await makeFixture();
      const [short, long, removed] = [infoOf(), infoOf(), infoOf()];
      await registry.heartbeat(short, 1_000);
      await registry.heartbeat(long, TTL_MS);
      await registry.heartbeat(removed, TTL_MS);
      expect(idsOf(await registry.list(T))).toEqual(idsOf([short, long, removed]));
      await registry.remove(removed.id);
      expect(idsOf(await registry.list(T))).toEqual(idsOf([short, long]));
      expect(idsOf(await registry.list(T + 1_000))).toEqual([long.id]);
      // Removing a worker that is not there is harmless.
      await registry.remove(removed.id);
    });
  });
};
