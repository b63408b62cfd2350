/**
 * What the port contract suites run against, and how they make jobs in a given state: append
 * requests built as the writer builds them (decide, seal, fold), so the suites test the ports
 * alone, with no engine code between.
 */
import { randomUUID } from "node:crypto";
import * as Result from "effect/Result";
import {
  type Actor,
  contextOf,
  decide,
  fold,
  GENESIS_HASH,
  initialState,
  type JobCommand,
  type JobEvent,
  type JobSpec,
  type Json,
  seal,
} from "../../src/domain/index.ts";
import type { WorkerRegistry, WorkQueue } from "../../src/engine/worker/index.ts";
import type { AppendRequest, EventStore, StoredHead } from "../../src/engine/write/index.ts";
import { spec as specWith } from "../support/fixtures.ts";

/** The adapters under test, sharing one store (one Redis prefix, one MemoryStorage), fresh per test. */
export interface PortsFixture {
  readonly store: EventStore;
  readonly queue: WorkQueue;
  readonly registry: WorkerRegistry;
  /** The adapters' time now: what idle times and due times are measured against. */
  now(): number;
  /** Let `ms` pass for the adapters: a test clock is moved on, a server's clock is waited for. */
  elapse(ms: number): Promise<void>;
  /** Resolves once the `waitForWork` called last is blocked: waiting for work, no longer reading. */
  untilBlocked(): Promise<void>;
}

export type MakeFixture = () => Promise<PortsFixture>;

export const client: Actor = { kind: "client", id: "contract-client" };
export const workerActor: Actor = { kind: "worker", id: "contract-worker" };

export const iso = (ms: number): string => new Date(ms).toISOString();

export const newId = (): string => randomUUID();

/** A job's head before it exists (what the writer starts a creation from). */
const emptyHead = (jobId: string, payload: Json): StoredHead => ({
  jobId,
  version: 0,
  lastHash: GENESIS_HASH,
  state: initialState(),
  payload,
});

/** Worker events name their attempt and the store fences on it, AttemptStarted excepted (as the writer does). */
const fencingAttemptOf = (events: ReadonlyArray<JobEvent>): number | null => {
  const first = events[0];
  if (first === undefined || first.type === "AttemptStarted") return null;
  return "attempt" in first.data ? first.data.attempt : null;
};

export interface Prepared {
  readonly request: AppendRequest;
  /** The head after the append. */
  readonly next: StoredHead;
}

/** The append of `commands` (decided one after the other) onto `head`; throws if the machine refuses one. */
export const prepare = (
  head: StoredHead,
  commands: ReadonlyArray<JobCommand>,
  nowMs: number,
  create?: { readonly payload: Json; readonly idempotencyKey?: string },
): Prepared => {
  const events: Array<JobEvent> = [];
  let state = head.state;
  for (const command of commands) {
    const decision = decide(command, state);
    if (Result.isFailure(decision)) throw new Error(`${command.type} refused: ${decision.failure.message}`);
    events.push(...decision.success);
    state = fold(decision.success, state);
  }
  const sealed = seal({ jobId: head.jobId, version: head.version, lastHash: head.lastHash }, events);
  return {
    request: {
      jobId: head.jobId,
      expected: {
        version: head.version,
        lastHash: head.lastHash,
        status: head.version === 0 ? null : head.state.value,
      },
      fencingAttempt: fencingAttemptOf(events),
      envelopes: sealed.envelopes,
      texts: sealed.texts,
      next: state,
      nowMs,
      ...(create === undefined ? {} : { create }),
    },
    next: { ...head, version: sealed.head.version, lastHash: sealed.head.lastHash, state },
  };
};

/** The creation of a new job: submitted at `nowMs`, due at `runAtMs` when given. */
export const prepareSubmit = (
  nowMs: number,
  overrides: Partial<JobSpec> = {},
  options: { readonly jobId?: string; readonly runAtMs?: number } = {},
): Prepared => {
  const spec = specWith(overrides);
  const command: JobCommand = {
    type: "SubmitJob",
    at: iso(nowMs),
    actor: client,
    spec,
    ...(options.runAtMs === undefined ? {} : { runAt: iso(options.runAtMs) }),
  };
  const create =
    spec.idempotencyKey === undefined
      ? { payload: spec.payload }
      : { payload: spec.payload, idempotencyKey: spec.idempotencyKey };
  return prepare(emptyHead(options.jobId ?? newId(), spec.payload), [command], nowMs, create);
};

/** Append what was prepared and return the head after it; fails the test unless it was appended. */
export const appended = async (store: EventStore, prepared: Prepared): Promise<StoredHead> => {
  const outcome = await store.append(prepared.request);
  if (outcome._tag !== "Appended") throw new Error(`the append was refused: ${JSON.stringify(outcome)}`);
  return prepared.next;
};

/** The commands that move a job on, as a worker, the scheduler or a client gives them. */
export const commands = {
  start: (head: StoredHead, nowMs: number): JobCommand => ({
    type: "StartAttempt",
    at: iso(nowMs),
    actor: workerActor,
    attempt: contextOf(head.state).attempt + 1,
  }),
  log: (head: StoredHead, nowMs: number, line = "working"): JobCommand => ({
    type: "RecordLog",
    at: iso(nowMs),
    actor: workerActor,
    attempt: contextOf(head.state).attempt,
    line,
  }),
  complete: (head: StoredHead, nowMs: number): JobCommand => ({
    type: "CompleteAttempt",
    at: iso(nowMs),
    actor: workerActor,
    attempt: contextOf(head.state).attempt,
    result: "done",
  }),
  fail: (head: StoredHead, nowMs: number, retryable: boolean): JobCommand => ({
    type: "FailAttempt",
    at: iso(nowMs),
    actor: workerActor,
    attempt: contextOf(head.state).attempt,
    error: { code: "boom", message: "it broke", retryable },
  }),
  promote: (nowMs: number): JobCommand => ({
    type: "PromoteJob",
    at: iso(nowMs),
    actor: { kind: "scheduler", id: "contract-scheduler" },
  }),
  cancel: (nowMs: number): JobCommand => ({ type: "CancelJob", at: iso(nowMs), actor: client }),
  retry: (nowMs: number): JobCommand => ({
    type: "RetryJob",
    at: iso(nowMs),
    actor: { kind: "operator", id: "contract-operator" },
    reason: "try again",
  }),
};

/** Submit a job and append `then` (each built from the head before it); returns the final head. */
export const jobThrough = async (
  store: EventStore,
  nowMs: number,
  overrides: Partial<JobSpec> = {},
  ...then: ReadonlyArray<(head: StoredHead) => JobCommand>
): Promise<StoredHead> => {
  let head = await appended(store, prepareSubmit(nowMs, overrides));
  for (const step of then) head = await appended(store, prepare(head, [step(head)], nowMs));
  return head;
};
