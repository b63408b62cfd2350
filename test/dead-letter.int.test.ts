/**
 * Every real path to dead_letter records the attempt's AttemptFailed and the job's
 * JobDeadLettered in one append (ADR 0022): one append request holds both, they are consecutive
 * seqs of the job's history, adjacent in the shard log, and the job is in the dead-letter index.
 * The paths: a handler's non-retryable error, a retryable error on the last attempt, a timeout on
 * the last attempt, no handler, a result that cannot be recorded, and a reclaim after the lease
 * expired with the attempts spent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeadLetterReason, type Envelope, statusOf } from "../src/domain/index.ts";
import { type Handler, NonRetryableError, type Worker } from "../src/engine/worker/index.ts";
import type { AppendRequest, EventStore } from "../src/engine/write/index.ts";
import { auditOf, readStream } from "./support/audit.ts";
import { apiActor, makeEngine, type RedisPorts, type TestEngine } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { workerOn } from "./support/workers.ts";

let redis: TestRedis;
let engine: TestEngine;
const workers: Array<{ worker: Worker; done: Promise<void> }> = [];
/** The event types of every append request the recording workers made, per job. */
const appends = new Map<string, Array<ReadonlyArray<string>>>();

/** The ports as a worker gets them, the store recording each append request before it is sent. */
const recording = (ports: RedisPorts): RedisPorts => ({ ...ports, store: recordingStore(ports.store) });

const recordingStore = <S extends EventStore>(store: S): S => {
  const record = (request: AppendRequest) =>
    appends.set(request.jobId, [...(appends.get(request.jobId) ?? []), request.envelopes.map((e) => e.type)]);
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === "append")
        return (request: AppendRequest) => {
          record(request);
          return target.append(request);
        };
      if (property === "appendMany")
        return (requests: ReadonlyArray<AppendRequest>) => {
          requests.forEach(record);
          return target.appendMany(requests);
        };
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
};

const startRecordingWorker = async (
  handlers: Record<string, Handler>,
  options: Parameters<typeof workerOn>[2] = {},
) => {
  const worker = workerOn(recording(await engine.workerPorts()), handlers, options);
  const started = { worker, done: worker.run() };
  workers.push(started);
  return started;
};

beforeAll(async () => {
  redis = await startRedis();
  engine = await makeEngine(redis.url);
});
afterAll(async () => {
  for (const { worker, done } of workers) {
    await worker.stop(100);
    await done;
  }
  await engine.close();
  await redis.stop();
});

const untilDead = (jobId: string) =>
  waitFor(
    async () => statusOf((await engine.jobs.get(jobId)).state) === "dead_letter",
    `job ${jobId} to be dead-lettered`,
    10_000,
  );

/** Checks the job's dead letter was written with its failure in one append, and returns it. */
const deadLetterOf = async (jobId: string): Promise<Extract<Envelope, { type: "JobDeadLettered" }>> => {
  const events = await engine.store.readEvents(jobId);
  const dead = events.at(-1);
  const failed = events.at(-2);
  if (dead?.type !== "JobDeadLettered" || failed?.type !== "AttemptFailed")
    throw new Error(`job ${jobId} ends ${events.map((e) => e.type).join(", ")}`);
  // One request carried both.
  expect(appends.get(jobId)).toContainEqual(["AttemptFailed", "JobDeadLettered"]);
  expect(appends.get(jobId)?.some((types) => types.includes("JobDeadLettered") && types.length !== 2)).toBe(
    false,
  );
  // Consecutive in the job's history, same time and actor, the dead letter restating the failure.
  expect(dead).toMatchObject({
    seq: failed.seq + 1,
    prevHash: failed.hash,
    at: failed.at,
    actor: failed.actor,
  });
  expect(dead.data).toMatchObject({ attempt: failed.data.attempt, errorCode: failed.data.error.code });
  expect(failed.data.retryAt).toBeUndefined();
  // Adjacent in the shard log: nothing was appended between them.
  const log = await readStream(engine.client, engine.store.keys.log(0));
  const at = log.findIndex((e) => e.fields.jobId === jobId && e.fields.seq === String(failed.seq));
  expect(log[at + 1]?.fields).toMatchObject({ jobId, seq: String(dead.seq), type: "JobDeadLettered" });
  // In the dead-letter index, and the audit agrees.
  expect((await engine.jobs.deadLetters()).map((h) => h.jobId)).toContain(jobId);
  const report = await auditOf(engine).verify({ jobId, drained: true });
  expect(report.failures).toEqual([]);
  return dead;
};

const expectDeadLetter = (
  dead: Extract<Envelope, { type: "JobDeadLettered" }>,
  reason: DeadLetterReason,
  errorCode: string,
) => expect(dead.data).toMatchObject({ reason, errorCode });

describe("every path to dead_letter records AttemptFailed and JobDeadLettered in one append", () => {
  beforeAll(async () => {
    await startRecordingWorker(
      {
        permanent: () => {
          throw new NonRetryableError("bad input", "bad_input");
        },
        down: () => {
          throw new Error("upstream down");
        },
        slow: () => new Promise(() => {}),
        unrecordable: () => 1n,
      },
      { concurrency: 4 },
    );
  });

  it("a handler's non-retryable error: not_retryable", async () => {
    const { jobId } = await engine.jobs.submit({ type: "permanent", maxAttempts: 3 }, apiActor);
    await untilDead(jobId);
    const dead = await deadLetterOf(jobId);
    expectDeadLetter(dead, "not_retryable", "bad_input");
    expect(dead.data).toMatchObject({ attempt: 1, maxAttempts: 3 });
  });

  it("a retryable error on the last attempt: attempts_exhausted", async () => {
    const { jobId } = await engine.jobs.submit(
      { type: "down", maxAttempts: 2, backoff: { type: "fixed", delayMs: 10 } },
      apiActor,
    );
    await untilDead(jobId);
    const dead = await deadLetterOf(jobId);
    expectDeadLetter(dead, "attempts_exhausted", "handler_error");
    expect(dead.data).toMatchObject({ attempt: 2, maxAttempts: 2 });
  });

  it("a timeout on the last attempt: attempts_exhausted", async () => {
    const { jobId } = await engine.jobs.submit({ type: "slow", maxAttempts: 1, timeoutMs: 50 }, apiActor);
    await untilDead(jobId);
    expectDeadLetter(await deadLetterOf(jobId), "attempts_exhausted", "timeout");
  });

  it("a job type with no handler: not_retryable", async () => {
    const { jobId } = await engine.jobs.submit({ type: "nobody-handles-this", maxAttempts: 3 }, apiActor);
    await untilDead(jobId);
    expectDeadLetter(await deadLetterOf(jobId), "not_retryable", "no_handler");
  });

  it.each(["constructor", "toString", "hasOwnProperty", "valueOf"])(
    "a job type named like an Object.prototype member (%s) finds no handler: not_retryable",
    async (type) => {
      const { jobId } = await engine.jobs.submit({ type, maxAttempts: 3 }, apiActor);
      await untilDead(jobId);
      expectDeadLetter(await deadLetterOf(jobId), "not_retryable", "no_handler");
    },
  );

  it("a result that cannot be recorded: not_retryable", async () => {
    const { jobId } = await engine.jobs.submit({ type: "unrecordable", maxAttempts: 3 }, apiActor);
    await untilDead(jobId);
    expectDeadLetter(await deadLetterOf(jobId), "not_retryable", "invalid_result");
  });

  it("a reclaim after the lease expired, with the attempts spent: attempts_exhausted, by the reclaiming worker", async () => {
    const queue = "reclaim";
    let started = false;
    const doomed = workerOn(
      await engine.workerPorts(),
      { poison: () => new Promise(() => (started = true)) },
      { leaseMs: 300, queues: [queue], name: "doomed" },
    );
    const doomedRun = doomed.run();
    const { jobId } = await engine.jobs.submit({ type: "poison", queue, maxAttempts: 1 }, apiActor);
    await waitFor(() => started, "the poison job to start");
    await doomed.crash();
    await doomedRun;
    const reaper = await startRecordingWorker({}, { leaseMs: 300, queues: [queue], name: "reaper" });
    await untilDead(jobId);
    const dead = await deadLetterOf(jobId);
    expectDeadLetter(dead, "attempts_exhausted", "lease_expired");
    expect(dead.actor.id).toBe(reaper.worker.id);
  });
});
