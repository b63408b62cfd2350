/**
 * The WorkQueue port's contract, with the queue effects of the EventStore's appends (a job
 * becoming queued is enqueued, pending and failed jobs wait in the delayed set, dead letters are
 * indexed, a job leaving the queue takes its entry with it): run by
 * test/redis-adapters.int.test.ts and test/memory-adapters.unit.test.ts.
 *
 * Idle times are the adapter's: `elapse` moves a test clock on, or waits for a server's clock.
 */
import { describe, expect, it } from "vitest";
import { contextOf, type Priority, statusOf } from "../../src/domain/index.ts";
import type { Claimed } from "../../src/engine/worker/index.ts";
import type { StoredHead } from "../../src/engine/write/index.ts";
import { appended, commands, jobThrough, type MakeFixture, prepare, prepareSubmit } from "./fixture.ts";

/** An idle time the suites wait out (a real wait on Redis): long enough that a test's own steps take less. */
const IDLE_MS = 250;
const HOUR_MS = 3_600_000;

const jobIdsOf = (claimed: ReadonlyArray<Claimed>): Array<string> => claimed.map((c) => c.jobId);

export const workQueueContract = (name: string, makeFixture: MakeFixture): void => {
  describe(`${name}: the WorkQueue contract`, () => {
    /** A fixture whose groups exist on `queues`, and a way to queue jobs on it. */
    const ready = async (queues: ReadonlyArray<string> = ["default"]) => {
      const fixture = await makeFixture();
      await fixture.queue.ensureGroups(queues);
      const submit = (priority: Priority = "normal", queue = "default"): Promise<StoredHead> =>
        appended(fixture.store, prepareSubmit(fixture.now(), { queue, priority, payload: priority }));
      return { ...fixture, submit };
    };

    it("making the groups again changes nothing; claiming on a queue without them is refused", async () => {
      const { queue, submit } = await ready();
      const head = await submit();
      await queue.ensureGroups(["default"]);
      expect(jobIdsOf(await queue.claim("c1", ["default"], 10))).toEqual([head.jobId]);
      await expect(queue.claim("c1", ["nobody-made-this"], 10)).rejects.toThrow(/NOGROUP/);
      await expect(queue.reclaim("c1", ["nobody-made-this"], 0, 10)).rejects.toThrow(/NOGROUP/);
    });

    it("a group made after jobs were queued still delivers them", async () => {
      const { store, queue, now } = await makeFixture();
      const head = await appended(store, prepareSubmit(now(), { queue: "late" }));
      await queue.ensureGroups(["late"]);
      expect(jobIdsOf(await queue.claim("c1", ["late"], 10))).toEqual([head.jobId]);
    });

    it("claims new entries once each, highest priority first and oldest first within a level, with their jobs' current heads", async () => {
      const { queue, store, submit } = await ready(["default", "other"]);
      const byPriority: Array<StoredHead> = [];
      for (const priority of ["low", "normal", "critical", "high", "low", "critical"] as const)
        byPriority.push(await submit(priority));
      await submit("critical", "other");
      const [low1, normal, critical1, high, low2, critical2] = byPriority.map((h) => h.jobId);
      const first = await queue.claim("c1", ["default"], 4);
      expect(jobIdsOf(first)).toEqual([critical1, critical2, high, normal]);
      expect(first.map((c) => c.head)).toEqual(await store.loadHeads(jobIdsOf(first)));
      expect(jobIdsOf(await queue.claim("c2", ["default"], 10))).toEqual([low1, low2]);
      expect(await queue.claim("c1", ["default"], 10)).toEqual([]);
      expect(await queue.claim("c2", ["default"], 0)).toEqual([]);
    });

    it("with several queues, a higher level of any queue comes first, then the queues in the order asked", async () => {
      const { queue, submit } = await ready(["a", "b"]);
      const aNormal = await submit("normal", "a");
      const bHigh = await submit("high", "b");
      const aHigh = await submit("high", "a");
      const bNormal = await submit("normal", "b");
      expect(jobIdsOf(await queue.claim("c1", ["a", "b"], 10))).toEqual(
        [aHigh, bHigh, aNormal, bNormal].map((h) => h.jobId),
      );
    });

    it("depth counts entries waiting and entries delivered but unacknowledged, per queue in the order asked", async () => {
      const { queue, submit } = await ready(["default", "media"]);
      await submit("high");
      await submit("low");
      await submit("normal", "media");
      await queue.claim("c1", ["default"], 1);
      expect(await queue.depth(["media", "default", "unknown"])).toEqual([
        { queue: "media", waiting: 1, pending: 0 },
        { queue: "default", waiting: 1, pending: 1 },
        { queue: "unknown", waiting: 0, pending: 0 },
      ]);
    });

    it("a job that leaves for anything but processing takes its entry with it; one being processed keeps it until it ends", async () => {
      const { queue, store, now, submit } = await ready();
      const cancelled = await submit();
      await appended(store, prepare(cancelled, [commands.cancel(now())], now()));
      expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 0, pending: 0 }]);
      const job = await submit();
      const [entry] = await queue.claim("c1", ["default"], 1);
      const running = await appended(store, prepare(job, [commands.start(job, now())], now()));
      expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 0, pending: 1 }]);
      await appended(store, prepare(running, [commands.complete(running, now())], now()));
      expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 0, pending: 0 }]);
      // Its worker's next renewal learns that the entry is gone.
      expect(await queue.renew("c1", [entry as Claimed])).toEqual([
        { stream: entry?.stream, entryId: entry?.entryId },
      ]);
    });

    it("waitForWork hands out entries already waiting, with the head each was queued with", async () => {
      const { queue, store, submit } = await ready();
      const head = await submit();
      const claimed = await queue.waitForWork("c1", ["default"], 10_000, 1);
      expect(jobIdsOf(claimed)).toEqual([head.jobId]);
      expect(claimed[0]?.head).toEqual(await store.loadHead(head.jobId));
      expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 0, pending: 1 }]);
    });

    it("waitForWork wakes up for a job queued while it waits", async () => {
      const { queue, submit, untilBlocked } = await ready();
      const waiting = queue.waitForWork("c1", ["default"], 10_000, 1);
      await untilBlocked();
      const head = await submit("high");
      const claimed = await waiting;
      expect(jobIdsOf(claimed)).toEqual([head.jobId]);
      expect(claimed[0]?.head).toEqual(head);
    });

    it("a blocked waitForWork woken by a bulk of [low, normal, high, critical] takes the highest level first", async () => {
      const { queue, store, now, untilBlocked } = await ready();
      const waiting = queue.waitForWork("c1", ["default"], 10_000, 1);
      await untilBlocked();
      const bulk = (["low", "normal", "high", "critical"] as const).map((priority) =>
        prepareSubmit(now(), { priority }),
      );
      await store.appendMany(bulk.map((b) => b.request));
      const [low, normal, high, critical] = bulk.map((b) => b.request.jobId);
      expect(jobIdsOf(await waiting)).toEqual([critical]);
      expect(jobIdsOf(await queue.claim("c1", ["default"], 10))).toEqual([high, normal, low]);
    });

    it("waitForWork answers nothing once blockMs has passed with no work", async () => {
      const { queue } = await ready();
      expect(await queue.waitForWork("c1", ["default"], 50, 1)).toEqual([]);
    });

    it("waitForWork with work waiting takes at most count entries, highest level first", async () => {
      const { queue, submit } = await ready();
      const low = await submit("low");
      const high = await submit("high");
      await submit("low");
      expect(jobIdsOf(await queue.waitForWork("c1", ["default"], 10_000, 2))).toEqual([
        high.jobId,
        low.jobId,
      ]);
    });

    it("reclaim takes over only entries idle at least minIdle, with their jobs' current heads; the loser's renewal reports them", async () => {
      const { queue, store, now, elapse, submit } = await ready();
      const job = await submit();
      const [entry] = await queue.claim("c1", ["default"], 1);
      const running = await appended(store, prepare(job, [commands.start(job, now())], now()));
      expect(await queue.reclaim("c2", ["default"], HOUR_MS, 10)).toEqual([]);
      await elapse(IDLE_MS);
      const taken = await queue.reclaim("c2", ["default"], IDLE_MS, 10);
      expect(taken).toEqual([
        { stream: entry?.stream, entryId: entry?.entryId, jobId: job.jobId, head: running },
      ]);
      expect(statusOf((taken[0]?.head ?? job).state)).toBe("processing");
      // Taking it over reset its idle time.
      expect(await queue.reclaim("c3", ["default"], IDLE_MS, 10)).toEqual([]);
      expect(await queue.renew("c1", [entry as Claimed])).toEqual([
        { stream: entry?.stream, entryId: entry?.entryId },
      ]);
      expect(await queue.renew("c2", [entry as Claimed])).toEqual([]);
    });

    it("reclaim takes no more than count", async () => {
      const { queue, elapse, submit } = await ready();
      for (let i = 0; i < 3; i++) await submit();
      await queue.claim("c1", ["default"], 3);
      await elapse(IDLE_MS);
      expect(await queue.reclaim("c2", ["default"], IDLE_MS, 2)).toHaveLength(2);
      expect(await queue.reclaim("c3", ["default"], IDLE_MS, 2)).toHaveLength(1);
      expect(await queue.reclaim("c2", ["default"], IDLE_MS, 0)).toEqual([]);
    });

    it("renew keeps a consumer's entries alive and reports those it lost: reclaimed, or gone with their job", async () => {
      const { queue, store, now, elapse, submit } = await ready();
      const cancelled = await submit();
      const reclaimed = await submit();
      const kept = await submit();
      const claimed = await queue.claim("c1", ["default"], 3);
      const [cancelledEntry, reclaimedEntry, keptEntry] = claimed;
      expect(jobIdsOf(claimed)).toEqual([cancelled.jobId, reclaimed.jobId, kept.jobId]);
      const running = await appended(store, prepare(cancelled, [commands.start(cancelled, now())], now()));
      await appended(store, prepare(running, [commands.cancel(now())], now()));
      await elapse(IDLE_MS);
      expect(await queue.renew("c1", [keptEntry as Claimed])).toEqual([]);
      expect(jobIdsOf(await queue.reclaim("c2", ["default"], IDLE_MS, 10))).toEqual([reclaimed.jobId]);
      const lost = await queue.renew("c1", claimed);
      expect(lost).toEqual(
        [cancelledEntry, reclaimedEntry].map((c) => ({ stream: c?.stream, entryId: c?.entryId })),
      );
      expect(await queue.renew("c1", [])).toEqual([]);
    });

    it("discard acknowledges and deletes its owner's entry: it is neither waiting, pending nor reclaimable", async () => {
      const { queue, elapse, submit } = await ready();
      await submit();
      const [entry] = await queue.claim("c1", ["default"], 1);
      expect(await queue.discard("c1", entry as Claimed)).toBe(true);
      expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 0, pending: 0 }]);
      await elapse(IDLE_MS);
      expect(await queue.reclaim("c2", ["default"], IDLE_MS, 10)).toEqual([]);
      expect(await queue.renew("c1", [entry as Claimed])).toHaveLength(1);
      // Discarding again is harmless.
      expect(await queue.discard("c1", entry as Claimed)).toBe(false);
    });

    it("discard drops an entry only for the consumer it is pending to: one reclaimed by another stays theirs", async () => {
      const { queue, elapse, submit } = await ready();
      const reclaimed = await submit();
      const [entry] = await queue.claim("c1", ["default"], 1);
      await elapse(IDLE_MS);
      expect(jobIdsOf(await queue.reclaim("c2", ["default"], IDLE_MS, 10))).toEqual([reclaimed.jobId]);
      // c1 stalled past its lease and woke up: the entry is c2's now, and the job's only one.
      expect(await queue.discard("c1", entry as Claimed)).toBe(false);
      expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 0, pending: 1 }]);
      expect(await queue.renew("c2", [entry as Claimed])).toEqual([]);
      expect(await queue.discard("c2", entry as Claimed)).toBe(true);
      expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 0, pending: 0 }]);
      await submit();
      expect(await queue.discard("c1", { stream: entry?.stream ?? "", entryId: "1-1" })).toBe(false);
      expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 1, pending: 0 }]);
    });

    it("release makes an entry still pending to the consumer reclaimable at once; one another consumer holds stays theirs", async () => {
      const { queue, elapse, submit } = await ready();
      const [first, second] = [await submit(), await submit()];
      const claimed = await queue.claim("c1", ["default"], 2);
      expect(jobIdsOf(claimed)).toEqual([first.jobId, second.jobId]);
      const [one, two] = claimed as [Claimed, Claimed];
      // Nothing is idle yet: a reclaim past the lease takes nothing.
      expect(await queue.reclaim("c2", ["default"], HOUR_MS, 10)).toEqual([]);
      await queue.release("c1", [one], HOUR_MS);
      expect(jobIdsOf(await queue.reclaim("c2", ["default"], HOUR_MS, 10))).toEqual([first.jobId]);
      // c2 holds the first now: c1 releasing it again changes nothing.
      await queue.release("c1", [one], HOUR_MS);
      expect(await queue.reclaim("c3", ["default"], HOUR_MS, 10)).toEqual([]);
      expect(await queue.renew("c2", [one])).toEqual([]);
      // Released, not acknowledged: still pending, now to c2 and c1.
      expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 0, pending: 2 }]);
      await elapse(IDLE_MS);
      expect(jobIdsOf(await queue.reclaim("c3", ["default"], IDLE_MS, 10))).toContain(two.jobId);
    });

    it("a delayed job waits in the delayed set until due (inclusive), not in a work stream; promoted, it is queued", async () => {
      const { queue, store, now } = await ready();
      const dueAt = now() + HOUR_MS;
      const pending = await appended(store, prepareSubmit(now(), {}, { runAtMs: dueAt }));
      expect(statusOf(pending.state)).toBe("pending");
      expect(await queue.dueJobs(dueAt - 1, 10)).toEqual([]);
      expect(await queue.dueJobs(dueAt, 10)).toEqual([pending.jobId]);
      expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 0, pending: 0 }]);
      await appended(store, prepare(pending, [commands.promote(dueAt)], dueAt));
      expect(await queue.dueJobs(dueAt, 10)).toEqual([]);
      expect(jobIdsOf(await queue.claim("c1", ["default"], 10))).toEqual([pending.jobId]);
    });

    it("dueJobs answers the earliest due first, at most limit", async () => {
      const { queue, store, now } = await ready();
      const t = now();
      const ids: Array<string> = [];
      for (const offset of [3, 1, 2])
        ids.push((await appended(store, prepareSubmit(t, {}, { runAtMs: t + offset * HOUR_MS }))).jobId);
      expect(await queue.dueJobs(t + 10 * HOUR_MS, 2)).toEqual([ids[1], ids[2]]);
      expect(await queue.dueJobs(t + 10 * HOUR_MS, 0)).toEqual([]);
    });

    it("a failed attempt with a retry left waits in the delayed set until its retry is due", async () => {
      const { store, queue, now } = await ready();
      const t = now();
      const failed = await jobThrough(
        store,
        t,
        { backoff: { type: "fixed", delayMs: HOUR_MS } },
        (h) => commands.start(h, t),
        (h) => commands.fail(h, t, true),
      );
      expect(statusOf(failed.state)).toBe("failed");
      const dueAt = Date.parse(contextOf(failed.state).dueAt ?? "");
      expect(dueAt).toBe(t + HOUR_MS);
      expect(await queue.dueJobs(dueAt - 1, 10)).toEqual([]);
      expect(await queue.dueJobs(dueAt, 10)).toEqual([failed.jobId]);
      expect(await queue.depth(["default"])).toEqual([{ queue: "default", waiting: 0, pending: 0 }]);
    });

    it("dead letters are listed newest first with when they were dead-lettered; a manual retry takes one off and queues it", async () => {
      const { store, queue, now } = await ready();
      const t = now();
      const dead: Array<StoredHead> = [];
      for (const at of [t + 1_000, t + 3_000, t + 2_000]) {
        const running = await jobThrough(store, t, {}, (h) => commands.start(h, t));
        dead.push(await appended(store, prepare(running, [commands.fail(running, at, false)], at)));
      }
      expect(dead.map((h) => statusOf(h.state))).toEqual(["dead_letter", "dead_letter", "dead_letter"]);
      const [first, second, third] = dead.map((h) => h.jobId);
      expect(await queue.deadLetters(10)).toEqual([
        { jobId: second, atMs: t + 3_000 },
        { jobId: third, atMs: t + 2_000 },
        { jobId: first, atMs: t + 1_000 },
      ]);
      expect((await queue.deadLetters(1)).map((d) => d.jobId)).toEqual([second]);
      await appended(store, prepare(dead[1] as StoredHead, [commands.retry(t + 4_000)], t + 4_000));
      expect((await queue.deadLetters(10)).map((d) => d.jobId)).toEqual([third, first]);
      expect(jobIdsOf(await queue.claim("c1", ["default"], 10))).toEqual([second]);
    });

    it("renew reports as lost an entry pending to another consumer, and one never delivered", async () => {
      const { queue, submit } = await ready();
      await submit();
      const [entry] = await queue.claim("c1", ["default"], 1);
      expect(await queue.renew("c2", [entry as Claimed])).toEqual([
        { stream: entry?.stream, entryId: entry?.entryId },
      ]);
      const stranger = { stream: entry?.stream ?? "", entryId: "1-1" };
      expect(await queue.renew("c1", [stranger])).toEqual([stranger]);
    });
  });
};
