/**
 * The EventStore port's contract: what every implementation (Redis, memory) must do, run by
 * test/redis-adapters.int.test.ts and test/memory-adapters.unit.test.ts.
 */
import * as Result from "effect/Result";
import { describe, expect, it } from "vitest";
import {
  type Envelope,
  eventOf,
  fold,
  GENESIS_HASH,
  seal,
  statusOf,
  verifyChain,
} from "../../src/domain/index.ts";
import type { AppendRequest, EventStore, FlowStore } from "../../src/engine/write/index.ts";
import {
  appended,
  client,
  commands,
  jobThrough,
  type MakeFixture,
  newId,
  type PortsFixture,
  prepare,
  prepareSubmit,
} from "./fixture.ts";

export const eventStoreContract = (name: string, makeFixture: MakeFixture): void => {
  describe(`${name}: the EventStore contract`, () => {
    /** A queued job and a request to cancel it (whose `next` is left as it was: only refusals are sent). */
    const request = async ({ store, now }: PortsFixture) => {
      const head = await appended(store, prepareSubmit(now(), { jobType: "x" }));
      const jobId = head.jobId;
      const event = { type: "JobCancelled", at: new Date().toISOString(), actor: client, data: {} } as const;
      const sealed = seal({ jobId, version: head.version, lastHash: head.lastHash }, [event]);
      const base: AppendRequest = {
        jobId,
        expected: { version: 1, lastHash: head.lastHash, status: "queued" },
        fencingAttempt: null,
        envelopes: sealed.envelopes,
        texts: sealed.texts,
        next: head.state,
        nowMs: now(),
      };
      return { base, head, sealed };
    };

    it("a created job reads back as appended: its head (state and payload) and its history from genesis", async () => {
      const { store, now } = await makeFixture();
      const prepared = prepareSubmit(now(), { payload: { to: "a@b.c" } });
      expect(await store.append(prepared.request)).toEqual({ _tag: "Appended", version: 1 });
      const head = await store.loadHead(prepared.request.jobId);
      expect(head).toEqual(prepared.next);
      expect(head?.payload).toEqual({ to: "a@b.c" });
      const events = await store.readEvents(prepared.request.jobId);
      expect(events).toEqual(prepared.request.envelopes);
      expect(events.map((e) => [e.seq, e.type, e.prevHash])).toEqual([[1, "JobSubmitted", GENESIS_HASH]]);
    });

    it("an append of several envelopes moves the head to the last one's seq and hash, keeping the payload", async () => {
      const { store, now } = await makeFixture();
      const queued = await appended(store, prepareSubmit(now(), { payload: [1, 2] }));
      const started = prepare(queued, [commands.start(queued, now())], now());
      const both = prepare(
        queued,
        [commands.start(queued, now()), commands.complete(started.next, now())],
        now(),
      );
      expect(both.request.envelopes).toHaveLength(2);
      expect(await store.append(both.request)).toEqual({ _tag: "Appended", version: 3 });
      const head = await store.loadHead(queued.jobId);
      expect(head).toEqual(both.next);
      expect(head && [head.version, head.lastHash, statusOf(head.state)]).toEqual([
        3,
        both.request.envelopes[1]?.hash,
        "completed",
      ]);
      expect(head?.payload).toEqual([1, 2]);
      const history = await store.readEvents(queued.jobId);
      expect(history.map((e) => e.type)).toEqual(["JobSubmitted", "AttemptStarted", "JobCompleted"]);
      expect(Result.isSuccess(verifyChain(history, { anchor: both.next }))).toBe(true);
    });

    it("refuses a stale expected version, a wrong status and a broken chain, writing nothing", async () => {
      const e = await makeFixture();
      const { base } = await request(e);
      expect(await e.store.append({ ...base, expected: { ...base.expected, version: 0 } })).toEqual({
        _tag: "AlreadyExists",
      });
      expect(await e.store.append({ ...base, expected: { ...base.expected, version: 2 } })).toEqual({
        _tag: "VersionConflict",
        currentVersion: 1,
      });
      expect(
        (await e.store.append({ ...base, expected: { ...base.expected, status: "processing" } }))._tag,
      ).toBe("StatusConflict");
      const forged = { ...(base.envelopes[0] as Envelope), prevHash: "f".repeat(64) };
      expect((await e.store.append({ ...base, envelopes: [forged] }))._tag).toBe("ChainBroken");
      expect((await e.store.readEvents(base.jobId)).length).toBe(1);
    });

    it("says which: the current version (0 for no such job), the current status, the head's last hash", async () => {
      const e = await makeFixture();
      const { base, head } = await request(e);
      expect(await e.store.append({ ...base, jobId: newId() })).toEqual({
        _tag: "VersionConflict",
        currentVersion: 0,
      });
      expect(await e.store.append({ ...base, expected: { ...base.expected, status: "pending" } })).toEqual({
        _tag: "StatusConflict",
        currentStatus: "queued",
      });
      const forged = { ...(base.envelopes[0] as Envelope), prevHash: "f".repeat(64) };
      expect(await e.store.append({ ...base, envelopes: [forged] })).toEqual({
        _tag: "ChainBroken",
        currentLastHash: head.lastHash,
      });
      expect(await e.store.loadHead(base.jobId)).toEqual(head);
    });

    it("refuses a worker event whose attempt is not the head's current attempt (fencing)", async () => {
      const e = await makeFixture();
      const { base } = await request(e);
      expect(await e.store.append({ ...base, fencingAttempt: 3 })).toEqual({
        _tag: "Fenced",
        currentAttempt: 0,
      });
      expect((await e.store.readEvents(base.jobId)).length).toBe(1);
    });

    it("appends a worker event of the current attempt, and fences one of an earlier attempt", async () => {
      const { store, now } = await makeFixture();
      const running = await jobThrough(store, now(), {}, (h) => commands.start(h, now()));
      const log = prepare(running, [commands.log(running, now())], now());
      expect(log.request.fencingAttempt).toBe(1);
      expect(await store.append({ ...log.request, fencingAttempt: 2 })).toEqual({
        _tag: "Fenced",
        currentAttempt: 1,
      });
      expect(await store.append(log.request)).toEqual({ _tag: "Appended", version: 3 });
    });

    it("checks the version first, then the status, then the attempt, then the chain", async () => {
      const { store, now } = await makeFixture();
      const running = await jobThrough(store, now(), {}, (h) => commands.start(h, now()));
      const { request: good } = prepare(running, [commands.log(running, now())], now());
      const forged = { ...(good.envelopes[0] as Envelope), prevHash: "f".repeat(64) };
      const wrong = {
        ...good,
        expected: { ...good.expected, version: 7, status: "queued" as const },
        fencingAttempt: 5,
        envelopes: [forged],
      };
      expect((await store.append(wrong))._tag).toBe("VersionConflict");
      const rightVersion = { ...wrong, expected: { ...wrong.expected, version: 2 } };
      expect((await store.append(rightVersion))._tag).toBe("StatusConflict");
      const rightStatus = {
        ...rightVersion,
        expected: { ...rightVersion.expected, status: "processing" as const },
      };
      expect((await store.append(rightStatus))._tag).toBe("Fenced");
      expect((await store.append({ ...rightStatus, fencingAttempt: 1 }))._tag).toBe("ChainBroken");
      expect(await store.readEvents(running.jobId)).toHaveLength(2);
    });

    it("refuses to create a job that exists, and a creation that does not start from genesis", async () => {
      const { store, now } = await makeFixture();
      const first = prepareSubmit(now());
      await appended(store, first);
      expect(await store.append(first.request)).toEqual({ _tag: "AlreadyExists" });
      const other = prepareSubmit(now());
      const forged = { ...(other.request.envelopes[0] as Envelope), prevHash: "e".repeat(64) };
      expect(await store.append({ ...other.request, envelopes: [forged] })).toEqual({
        _tag: "ChainBroken",
        currentLastHash: GENESIS_HASH,
      });
      expect(await store.loadHead(other.request.jobId)).toBeNull();
      expect(await store.readEvents(other.request.jobId)).toEqual([]);
    });

    it("an idempotency key already taken answers its job and appends nothing, even under the same job id", async () => {
      const { store, now } = await makeFixture();
      const key = `order-${newId()}`;
      const first = prepareSubmit(now(), { idempotencyKey: key });
      await appended(store, first);
      const again = prepareSubmit(now(), { idempotencyKey: key });
      expect(await store.append(again.request)).toEqual({
        _tag: "IdempotentRepeat",
        jobId: first.request.jobId,
      });
      expect(await store.loadHead(again.request.jobId)).toBeNull();
      // The key is checked before the job's existence.
      expect(await store.append(first.request)).toEqual({
        _tag: "IdempotentRepeat",
        jobId: first.request.jobId,
      });
      expect(await store.readEvents(first.request.jobId)).toHaveLength(1);
    });

    it("one append call checks each job on its own: a refused job does not stop the others, and a second append to a job in the same call continues its chain", async () => {
      const e = await makeFixture();
      const a = await request(e);
      const b = await request(e);
      const cHead = await appended(e.store, prepareSubmit(e.now(), { jobType: "x" }));
      const c = { jobId: cHead.jobId, head: cHead };
      const worker = { kind: "worker", id: "w-1" } as const;
      const at = new Date().toISOString();
      const started = { type: "AttemptStarted", at, actor: worker, data: { attempt: 1 } } as const;
      const completed = {
        type: "JobCompleted",
        at,
        actor: worker,
        data: { attempt: 1, result: null },
      } as const;
      const first = seal({ jobId: c.jobId, version: 1, lastHash: c.head.lastHash }, [started]);
      const second = seal(first.head, [completed]);
      const processing = fold([started], c.head.state);
      const cancelled = eventOf(a.sealed.envelopes[0] as Envelope);
      const outcomes = await e.store.appendMany([
        { ...a.base, next: fold([cancelled], a.head.state) },
        { ...b.base, expected: { ...b.base.expected, version: 2 } },
        {
          jobId: c.jobId,
          expected: { version: 1, lastHash: c.head.lastHash, status: "queued" },
          fencingAttempt: null,
          envelopes: first.envelopes,
          texts: first.texts,
          next: processing,
          nowMs: Date.now(),
        },
        {
          jobId: c.jobId,
          expected: { version: 2, lastHash: first.head.lastHash, status: "processing" },
          fencingAttempt: 1,
          envelopes: second.envelopes,
          texts: second.texts,
          next: fold([completed], processing),
          nowMs: Date.now(),
        },
      ]);
      expect(outcomes).toEqual([
        { _tag: "Appended", version: 2 },
        { _tag: "VersionConflict", currentVersion: 1 },
        { _tag: "Appended", version: 2 },
        { _tag: "Appended", version: 3 },
      ]);
      expect((await e.store.readEvents(b.base.jobId)).map((ev) => ev.type)).toEqual(["JobSubmitted"]);
      const history = await e.store.readEvents(c.jobId);
      expect(history.map((ev) => ev.type)).toEqual(["JobSubmitted", "AttemptStarted", "JobCompleted"]);
      expect(Result.isSuccess(verifyChain(history, { anchor: second.head }))).toBe(true);
      expect(statusOf((await e.store.loadHead(c.jobId))?.state ?? c.head.state)).toBe("completed");
      // Only b is still queued: a was cancelled and c completed, and their entries are gone.
      expect(await e.queue.depth(["default"])).toEqual([{ queue: "default", waiting: 1, pending: 0 }]);
    });

    it("of concurrent appends expecting the same version, exactly one is appended", async () => {
      const { store, now } = await makeFixture();
      const running = await jobThrough(store, now(), {}, (h) => commands.start(h, now()));
      const outcomes = await Promise.all(
        ["a", "b", "c", "d"].map((line) =>
          store.append(prepare(running, [commands.log(running, now(), line)], now()).request),
        ),
      );
      expect(outcomes.filter((o) => o._tag === "Appended")).toEqual([{ _tag: "Appended", version: 3 }]);
      expect(outcomes.filter((o) => o._tag !== "Appended")).toEqual(
        Array.from({ length: 3 }, () => ({ _tag: "VersionConflict", currentVersion: 3 })),
      );
      expect(await store.readEvents(running.jobId)).toHaveLength(3);
    });

    it("refuses a request without envelopes; appends nothing for no requests", async () => {
      const { store, now } = await makeFixture();
      const { request: submit } = prepareSubmit(now());
      await expect(store.append({ ...submit, envelopes: [] })).rejects.toThrow(/envelope/);
      await expect(store.appendMany([submit, { ...submit, jobId: newId(), envelopes: [] }])).rejects.toThrow(
        /envelope/,
      );
      expect(await store.loadHead(submit.jobId)).toBeNull();
      expect(await store.appendMany([])).toEqual([]);
    });

    it("reads several histories in the order asked, [] for an unknown job", async () => {
      const { store, now } = await makeFixture();
      const a = await jobThrough(store, now(), { payload: "a" }, () => commands.cancel(now()));
      const b = await appended(store, prepareSubmit(now(), { payload: "b" }));
      const unknown = newId();
      const histories = await store.readEventsMany([b.jobId, unknown, a.jobId]);
      expect(histories.map((events) => events.map((ev) => [ev.jobId, ev.seq]))).toEqual([
        [[b.jobId, 1]],
        [],
        [
          [a.jobId, 1],
          [a.jobId, 2],
        ],
      ]);
      expect(histories[2]).toEqual(await store.readEvents(a.jobId));
      expect(await store.readEvents(unknown)).toEqual([]);
      expect(await store.readEventsMany([])).toEqual([]);
    });

    it("histories of jobs whose appends interleave read back as appended: each job's own envelopes, each once, in seq order", async () => {
      const { store, now } = await makeFixture();
      // More jobs than one Redis history read takes per script call (64), so reads span calls.
      const submits = Array.from({ length: 70 }, (_, i) => prepareSubmit(now(), { payload: i }));
      const outcomes = await store.appendMany(submits.map((s) => s.request));
      expect(outcomes.every((o) => o._tag === "Appended")).toBe(true);
      // Started in reverse order, and in one call: the jobs' events interleave in the log.
      const starts = [...submits]
        .reverse()
        .map((s) => prepare(s.next, [commands.start(s.next, now())], now()));
      expect((await store.appendMany(starts.map((s) => s.request))).every((o) => o._tag === "Appended")).toBe(
        true,
      );
      const ids = submits.map((s) => s.next.jobId);
      const histories = await store.readEventsMany(ids);
      const startOf = new Map(starts.map((s) => [s.next.jobId, s.request.envelopes]));
      expect(histories).toEqual(
        submits.map((s) => [...s.request.envelopes, ...(startOf.get(s.next.jobId) ?? [])]),
      );
    });

    it("loads several heads in the order asked, null for an unknown job", async () => {
      const { store, now } = await makeFixture();
      const a = await appended(store, prepareSubmit(now(), { payload: "a" }));
      const b = await jobThrough(store, now(), { payload: "b" }, (h) => commands.start(h, now()));
      const unknown = newId();
      expect(await store.loadHeads([b.jobId, unknown, a.jobId])).toEqual([b, null, a]);
      expect(await store.loadHead(unknown)).toBeNull();
      expect(await store.loadHeads([])).toEqual([]);
    });

    /** The store as a FlowStore (ADR 0042: both adapters are one), and ids of one shard. */
    const flowsOf = (store: EventStore) => {
      const flows = store as unknown as FlowStore;
      if (typeof flows.appendAll !== "function") throw new Error("the store is no FlowStore");
      const shardOf = (id: string) =>
        "keys" in store ? (store.keys as { shardOf(id: string): number }).shardOf(id) : 0;
      const idsLike = (first: string, count: number): Array<string> => {
        const ids: Array<string> = [];
        while (ids.length < count) {
          const id = newId();
          if (shardOf(id) === shardOf(first)) ids.push(id);
        }
        return ids;
      };
      return { flows, idsLike };
    };

    it("an all-or-nothing append (a flow) writes every job when none is refused", async () => {
      const { store, now } = await makeFixture();
      const { flows, idsLike } = flowsOf(store);
      const first = newId();
      const requests = [first, ...idsLike(first, 2)].map(
        (jobId) => prepareSubmit(now(), {}, { jobId }).request,
      );
      expect(await flows.appendAll(requests)).toEqual({ _tag: "Applied" });
      for (const r of requests)
        expect((await store.readEvents(r.jobId)).map((e) => e.type)).toEqual(["JobSubmitted"]);
    });

    it("an all-or-nothing append writes nothing when one of its jobs is refused, and names that one", async () => {
      const { store, now } = await makeFixture();
      const { flows, idsLike } = flowsOf(store);
      const existing = await appended(store, prepareSubmit(now(), { jobType: "x" }));
      const fresh = idsLike(existing.jobId, 2);
      const requests = [
        prepareSubmit(now(), {}, { jobId: fresh[0] as string }).request,
        prepareSubmit(now(), {}, { jobId: existing.jobId }).request,
        prepareSubmit(now(), {}, { jobId: fresh[1] as string }).request,
      ];
      expect(await flows.appendAll(requests)).toEqual({
        _tag: "Refused",
        index: 1,
        outcome: { _tag: "AlreadyExists" },
      });
      for (const id of fresh) {
        expect(await store.loadHead(id)).toBeNull();
        expect(await store.readEvents(id)).toEqual([]);
      }
      expect((await store.readEvents(existing.jobId)).map((e) => e.type)).toEqual(["JobSubmitted"]);
    });
  });
};
