/**
 * The writer's compare-and-append loop on the in-memory store: a conflict reloads the head and
 * decides again, the store's refusals become typed errors, contention ends in
 * ContentionExhausted, and writeMany falls back to write for the items that conflict.
 */
import { describe, expect, it } from "vitest";
import {
  type Actor,
  contextOf,
  type JobCommand,
  type JobSpec,
  type JobState,
  statusOf,
} from "../src/domain/index.ts";
import { CommandRefused, ContentionExhausted, JobNotFound } from "../src/engine/shared/index.ts";
import {
  type AppendOutcome,
  type EventStore,
  JobWriter,
  type StoredHead,
  type WriteIntent,
} from "../src/engine/write/index.ts";
import { memoryAdapters } from "../src/infra/memory/index.ts";
import { newId } from "./contract/fixture.ts";
import { spec as specWith } from "./support/fixtures.ts";
import { ManualClock } from "./support/manual-clock.ts";

const client: Actor = { kind: "client", id: "writer-test" };
const worker: Actor = { kind: "worker", id: "w-1" };

/** An event store that remembers what each append answered and how many appendMany calls it served. */
const recorded = (store: EventStore) => {
  const outcomes: Array<AppendOutcome["_tag"]> = [];
  const batches: Array<number> = [];
  const recording: EventStore = {
    loadHead: (jobId) => store.loadHead(jobId),
    loadHeads: (jobIds) => store.loadHeads(jobIds),
    readEvents: (jobId) => store.readEvents(jobId),
    readEventsMany: (jobIds) => store.readEventsMany(jobIds),
    append: async (request) => {
      const outcome = await store.append(request);
      outcomes.push(outcome._tag);
      return outcome;
    },
    appendMany: async (requests) => {
      batches.push(requests.length);
      const answered = await store.appendMany(requests);
      outcomes.push(...answered.map((o) => o._tag));
      return answered;
    },
  };
  return { store: recording, outcomes, batches };
};

const setup = () => {
  const clock = new ManualClock();
  const { store } = memoryAdapters(clock);
  const at = () => new Date(clock.now()).toISOString();
  /** A writer on the bare store: the other writer in each race. */
  const rival = new JobWriter(store, clock);
  const submitIntent = (overrides: Partial<JobSpec> = {}, jobId = newId()): WriteIntent => {
    const spec = specWith(overrides);
    return {
      jobId,
      command: () => ({ type: "SubmitJob", at: at(), actor: client, spec }),
      create: {
        payload: spec.payload,
        ...(spec.idempotencyKey === undefined ? {} : { idempotencyKey: spec.idempotencyKey }),
      },
    };
  };
  const written = async (writer: JobWriter, intent: WriteIntent, known?: StoredHead | null) => {
    const result = await writer.write(intent, known);
    if (result._tag !== "Written") throw new Error(`expected a write, got ${result._tag}`);
    return result.head;
  };
  const commands = {
    start: (head: StoredHead): JobCommand => ({
      type: "StartAttempt",
      at: at(),
      actor: worker,
      attempt: contextOf(head.state).attempt + 1,
    }),
    log: (head: StoredHead, line: string): JobCommand => ({
      type: "RecordLog",
      at: at(),
      actor: worker,
      attempt: contextOf(head.state).attempt,
      line,
    }),
    cancel: (): JobCommand => ({ type: "CancelJob", at: at(), actor: client }),
  };
  const queuedJob = () => written(rival, submitIntent(), null);
  const runningJob = async () => {
    const queued = await queuedJob();
    return written(rival, { jobId: queued.jobId, command: commands.start }, queued);
  };
  return { clock, store, rival, at, submitIntent, written, commands, queuedJob, runningJob };
};

const typesOf = async (store: EventStore, jobId: string) =>
  (await store.readEvents(jobId)).map((e) => e.type);

describe("the writer's conflict handling", () => {
  it("a write from a stale head conflicts, reloads the head and decides again from it", async () => {
    const { clock, store, rival, written, commands, runningJob } = setup();
    const stale = await runningJob();
    await written(rival, { jobId: stale.jobId, command: (h) => commands.log(h, "the rival's line") }, stale);
    const mine = recorded(store);
    const seen: Array<number> = [];
    const result = await new JobWriter(mine.store, clock).write(
      {
        jobId: stale.jobId,
        command: (head) => {
          seen.push(head.version);
          return commands.log(head, `decided at version ${head.version}`);
        },
      },
      stale,
    );
    expect(mine.outcomes).toEqual(["VersionConflict", "Appended"]);
    expect(seen).toEqual([2, 3]);
    expect(result).toMatchObject({ _tag: "Written", head: { version: 4 } });
    const lines = (await store.readEvents(stale.jobId)).flatMap((e) =>
      e.type === "LogRecorded" ? [(e.data as { line: string }).line] : [],
    );
    expect(lines).toEqual(["the rival's line", "decided at version 3"]);
  });

  it("a command decided again may be refused by the machine: a stale worker's completion after its attempt failed", async () => {
    const { clock, store, rival, at, written, runningJob } = setup();
    const started = await runningJob();
    await written(
      rival,
      {
        jobId: started.jobId,
        command: () => ({
          type: "FailAttempt",
          at: at(),
          actor: { kind: "worker", id: "reclaimer" },
          attempt: 1,
          error: { code: "lease_expired", message: "lease expired", retryable: true },
        }),
      },
      started,
    );
    const mine = recorded(store);
    const late = await new JobWriter(mine.store, clock)
      .write(
        {
          jobId: started.jobId,
          command: () => ({ type: "CompleteAttempt", at: at(), actor: worker, attempt: 1, result: 1 }),
        },
        started,
      )
      .catch((error: unknown) => error);
    expect(mine.outcomes).toEqual(["VersionConflict"]);
    expect(late).toBeInstanceOf(CommandRefused);
    expect(late).toMatchObject({ code: "illegal_transition", status: "failed" });
    expect(await typesOf(store, started.jobId)).toEqual(["JobSubmitted", "AttemptStarted", "AttemptFailed"]);
  });

  it("a command already carried out by the winner is Unchanged after the reload, appending nothing", async () => {
    const { clock, store, rival, written, commands, queuedJob } = setup();
    const queued = await queuedJob();
    await written(rival, { jobId: queued.jobId, command: commands.cancel }, queued);
    const mine = recorded(store);
    const result = await new JobWriter(mine.store, clock).write(
      { jobId: queued.jobId, command: commands.cancel },
      queued,
    );
    expect(mine.outcomes).toEqual(["VersionConflict"]);
    expect(result._tag).toBe("Unchanged");
    expect(result._tag === "Unchanged" && statusOf(result.head.state)).toBe("cancelled");
    expect(await typesOf(store, queued.jobId)).toEqual(["JobSubmitted", "JobCancelled"]);
  });

  it("a status conflict and a broken chain are conflicts too: reload and decide again", async () => {
    const { clock, store, commands, queuedJob, runningJob } = setup();
    const queued = await queuedJob();
    const running = await runningJob();
    const mine = recorded(store);
    const writer = new JobWriter(mine.store, clock);
    // Heads that disagree with the store at the same version: one on its status, one on its hash.
    const wrongStatus: StoredHead = { ...queued, state: { ...queued.state, value: "pending" } as JobState };
    expect((await writer.write({ jobId: queued.jobId, command: commands.cancel }, wrongStatus))._tag).toBe(
      "Written",
    );
    const wrongHash: StoredHead = { ...running, lastHash: "f".repeat(64) };
    expect(
      (await writer.write({ jobId: running.jobId, command: (h) => commands.log(h, "after") }, wrongHash))
        ._tag,
    ).toBe("Written");
    expect(mine.outcomes).toEqual(["StatusConflict", "Appended", "ChainBroken", "Appended"]);
    expect(await typesOf(store, queued.jobId)).toEqual(["JobSubmitted", "JobCancelled"]);
    expect(await typesOf(store, running.jobId)).toEqual(["JobSubmitted", "AttemptStarted", "LogRecorded"]);
  });

  it("gives up with ContentionExhausted when another writer wins every round, after maxConflicts tries", async () => {
    const { clock, store, rival, written, commands, runningJob } = setup();
    const running = await runningJob();
    let rivalHead = running;
    // Before each of our appends, the rival appends a line: every one of ours then conflicts.
    const contended: EventStore = {
      loadHead: (jobId) => store.loadHead(jobId),
      loadHeads: (jobIds) => store.loadHeads(jobIds),
      readEvents: (jobId) => store.readEvents(jobId),
      readEventsMany: (jobIds) => store.readEventsMany(jobIds),
      appendMany: (requests) => store.appendMany(requests),
      append: async (request) => {
        rivalHead = await written(
          rival,
          { jobId: running.jobId, command: (h) => commands.log(h, "rival") },
          rivalHead,
        );
        return store.append(request);
      },
    };
    const mine = recorded(contended);
    const error = await new JobWriter(mine.store, clock, 3)
      .write({ jobId: running.jobId, command: (h) => commands.log(h, "mine") }, running)
      .catch((x: unknown) => x);
    expect(error).toBeInstanceOf(ContentionExhausted);
    expect(error).toMatchObject({ jobId: running.jobId });
    expect(mine.outcomes).toEqual(["VersionConflict", "VersionConflict", "VersionConflict"]);
    const lines = (await store.readEvents(running.jobId)).flatMap((e) =>
      e.type === "LogRecorded" ? [(e.data as { line: string }).line] : [],
    );
    expect(lines).toEqual(["rival", "rival", "rival"]);
  });

  it("the store's fencing refusal is CommandRefused stale_attempt, not retried", async () => {
    const { clock, store, commands, runningJob } = setup();
    const running = await runningJob();
    // A head that claims a later attempt at the same version, status and hash: only fencing tells.
    const forged: StoredHead = {
      ...running,
      state: { ...running.state, context: { ...contextOf(running.state), attempt: 2, maxAttempts: 3 } },
    };
    const mine = recorded(store);
    const error = await new JobWriter(mine.store, clock)
      .write({ jobId: running.jobId, command: (h) => commands.log(h, "zombie") }, forged)
      .catch((x: unknown) => x);
    expect(mine.outcomes).toEqual(["Fenced"]);
    expect(error).toBeInstanceOf(CommandRefused);
    expect(error).toMatchObject({ code: "stale_attempt" });
    expect(await typesOf(store, running.jobId)).toEqual(["JobSubmitted", "AttemptStarted"]);
  });

  it("creating a job under a taken id is refused (job_exists); a taken idempotency key answers the first job", async () => {
    const { store, rival, submitIntent, written } = setup();
    const first = await written(rival, submitIntent({ idempotencyKey: "order-1" }), null);
    const taken = await rival
      .write(submitIntent({ jobType: "other" }, first.jobId), null)
      .catch((x: unknown) => x);
    expect(taken).toBeInstanceOf(CommandRefused);
    expect(taken).toMatchObject({ code: "job_exists" });
    const repeat = submitIntent({ idempotencyKey: "order-1" });
    expect(await rival.write(repeat, null)).toEqual({ _tag: "Repeat", jobId: first.jobId });
    expect(await store.loadHead(repeat.jobId)).toBeNull();
  });

  it("a job that does not exist is JobNotFound unless the intent creates it", async () => {
    const { rival, commands } = setup();
    const error = await rival.write({ jobId: newId(), command: commands.cancel }).catch((x: unknown) => x);
    expect(error).toBeInstanceOf(JobNotFound);
  });
});

describe("the writer's batches", () => {
  it("writeMany sends one batch, falls back to write for the items that conflict, and answers each item on its own", async () => {
    const { clock, store, rival, at, submitIntent, written, commands, queuedJob } = setup();
    const stale = await queuedJob();
    await written(rival, { jobId: stale.jobId, command: commands.start }, stale);
    const cancelled = await queuedJob();
    const done = await written(rival, { jobId: cancelled.jobId, command: commands.cancel }, cancelled);
    const queued = await queuedJob();
    const fresh = submitIntent();
    const mine = recorded(store);
    const results = await new JobWriter(mine.store, clock).writeMany([
      { intent: fresh, known: null },
      // Known before the rival started it: conflicts, then is decided again on the current head.
      { intent: { jobId: stale.jobId, command: commands.cancel }, known: stale },
      // The machine refuses: a queued job is not dead.
      {
        intent: {
          jobId: queued.jobId,
          command: () => ({ type: "RetryJob", at: at(), actor: client, reason: "not dead" }),
        },
        known: queued,
      },
      { intent: { jobId: newId(), command: commands.cancel }, known: null },
      { intent: { jobId: done.jobId, command: commands.cancel }, known: done },
    ]);
    expect(results.map((r) => ("_tag" in r ? r._tag : r.message))).toEqual([
      "Written",
      "Written",
      "CommandRefused",
      "JobNotFound",
      "Unchanged",
    ]);
    expect(results[2]).toMatchObject({ code: "illegal_transition", status: "queued" });
    expect(mine.batches).toEqual([2]);
    expect(mine.outcomes).toEqual(["Appended", "VersionConflict", "Appended"]);
    expect(await typesOf(store, stale.jobId)).toEqual(["JobSubmitted", "AttemptStarted", "JobCancelled"]);
    expect(await typesOf(store, fresh.jobId)).toEqual(["JobSubmitted"]);
    expect(await typesOf(store, queued.jobId)).toEqual(["JobSubmitted"]);
  });
});
