/**
 * The ports the engine needs, implemented in src/infra (Redis) and injected by the composition
 * root. Everything here speaks domain types; nothing here knows about Redis.
 */
import type { Envelope, JobState, JobStatus, Json } from "../domain/index.ts";

/** A job's head: where its chain ends, its state and its payload. */
export interface StoredHead {
  readonly jobId: string;
  readonly version: number;
  readonly lastHash: string;
  readonly state: JobState;
  readonly payload: Json;
}

export interface AppendRequest {
  readonly jobId: string;
  /**
   * What the writer believes: the head's version and last hash, and the status it leaves. The
   * store checks the version and the status; the chain it checks on the first envelope's
   * `prevHash` (which `seal` makes equal to `lastHash`).
   */
  readonly expected: {
    readonly version: number;
    readonly lastHash: string;
    readonly status: JobStatus | null;
  };
  /** For a worker's events: the attempt (lease epoch) it holds; the store refuses a stale one. */
  readonly fencingAttempt: number | null;
  readonly envelopes: ReadonlyArray<Envelope>;
  /** The state after the envelopes (the fold, computed by the caller). */
  readonly next: JobState;
  readonly nowMs: number;
  /** Present when the append creates the job. */
  readonly create?: { readonly payload: Json; readonly idempotencyKey?: string };
}

export type AppendOutcome =
  | { readonly _tag: "Appended"; readonly version: number }
  /** `currentVersion` is 0 when the job does not exist. */
  | { readonly _tag: "VersionConflict"; readonly currentVersion: number }
  | { readonly _tag: "StatusConflict"; readonly currentStatus: string }
  | { readonly _tag: "Fenced"; readonly currentAttempt: number }
  | { readonly _tag: "ChainBroken"; readonly currentLastHash: string }
  | { readonly _tag: "IdempotentRepeat"; readonly jobId: string }
  | { readonly _tag: "AlreadyExists" };

export interface EventStore {
  loadHead(jobId: string): Promise<StoredHead | null>;
  /** Several heads in one round trip, in the order given (null for a job that does not exist). */
  loadHeads(jobIds: ReadonlyArray<string>): Promise<ReadonlyArray<StoredHead | null>>;
  /**
   * Atomic compare-and-append (one script call). Checked in this order: the version, the status,
   * the fencing attempt, the chain; a creation (expected version 0) checks the idempotency key,
   * then that the job does not exist, then that the chain starts at genesis.
   */
  append(request: AppendRequest): Promise<AppendOutcome>;
  /**
   * Several appends pipelined in one round trip; each is atomic on its own, and they are applied
   * in order (a later request may continue a job an earlier one appended to).
   */
  appendMany(requests: ReadonlyArray<AppendRequest>): Promise<ReadonlyArray<AppendOutcome>>;
  /** A job's whole history, in seq order ([] for a job that does not exist). */
  readEvents(jobId: string): Promise<ReadonlyArray<Envelope>>;
  /** The histories of several jobs (in the order given), read in one round trip. */
  readEventsMany(jobIds: ReadonlyArray<string>): Promise<ReadonlyArray<ReadonlyArray<Envelope>>>;
}

/** A work entry delivered to a consumer, with the head of its job (null if the head is gone). */
export interface Claimed {
  readonly stream: string;
  readonly entryId: string;
  readonly jobId: string;
  readonly head: StoredHead | null;
}

export interface WorkEntry {
  readonly stream: string;
  readonly entryId: string;
}

export interface WorkQueue {
  /** Make sure the consumer group exists on every work stream of these queues. */
  ensureGroups(queues: ReadonlyArray<string>): Promise<void>;
  /**
   * New entries for this consumer, without blocking: higher priority levels first across all
   * these queues, then the queues in the order given, each oldest first; with each job's current
   * head.
   */
  claim(consumer: string, queues: ReadonlyArray<string>, count: number): Promise<ReadonlyArray<Claimed>>;
  /**
   * Wait up to `blockMs` for new entries (when idle; 0 waits without limit): whatever arrives
   * first, about `count` at most (default 1; at least one per work stream of these queues, so
   * entries already waiting on several levels may come to more). Each comes with the head its
   * entry carries from when the job was queued, which is current for an entry never delivered.
   */
  waitForWork(
    consumer: string,
    queues: ReadonlyArray<string>,
    blockMs: number,
    count?: number,
  ): Promise<ReadonlyArray<Claimed>>;
  /** Keep leases alive; returns the entries this consumer no longer owns. */
  renew(consumer: string, entries: ReadonlyArray<WorkEntry>): Promise<ReadonlyArray<WorkEntry>>;
  /**
   * Take over entries idle for at least `minIdleMs` (their worker died or stalled), with their
   * jobs' current heads; their idle time starts again.
   */
  reclaim(
    consumer: string,
    queues: ReadonlyArray<string>,
    minIdleMs: number,
    count: number,
  ): Promise<ReadonlyArray<Claimed>>;
  /** Acknowledge and delete an entry whose job no longer needs it. */
  discard(entry: WorkEntry): Promise<void>;
  /** Jobs in the delayed set due at or before `nowMs`, at most `limit` (earliest first within a shard). */
  dueJobs(nowMs: number, limit: number): Promise<ReadonlyArray<string>>;
  /** Dead-lettered job ids, newest first, with when they were dead-lettered (the append's `nowMs`). */
  deadLetters(limit: number): Promise<ReadonlyArray<{ readonly jobId: string; readonly atMs: number }>>;
  /** Entries waiting and entries delivered but unacknowledged, per queue. */
  depth(
    queues: ReadonlyArray<string>,
  ): Promise<ReadonlyArray<{ readonly queue: string; readonly waiting: number; readonly pending: number }>>;
}

export interface WorkerInfo {
  readonly id: string;
  readonly name: string;
  readonly host: string;
  readonly pid: number;
  readonly queues: ReadonlyArray<string>;
  readonly concurrency: number;
  /**
   * Handlers running now: what the concurrency limits, so never more than it. A job whose
   * handler has finished and whose outcome is being written is not counted.
   */
  readonly inFlight: number;
  readonly completed: number;
  readonly failed: number;
  readonly startedAt: string;
  readonly lastSeenAt: string;
}

export interface WorkerRegistry {
  heartbeat(info: WorkerInfo, ttlMs: number): Promise<void>;
  remove(id: string): Promise<void>;
  /** Live workers; one ages out once `nowMs` reaches its last heartbeat's `lastSeenAt` + TTL. */
  list(nowMs: number): Promise<ReadonlyArray<WorkerInfo>>;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
