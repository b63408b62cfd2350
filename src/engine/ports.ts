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
  /** What the writer believes: the head's version and last hash, and the status it leaves. */
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
  | { readonly _tag: "VersionConflict"; readonly currentVersion: number }
  | { readonly _tag: "StatusConflict"; readonly currentStatus: string }
  | { readonly _tag: "Fenced"; readonly currentAttempt: number }
  | { readonly _tag: "ChainBroken"; readonly currentLastHash: string }
  | { readonly _tag: "IdempotentRepeat"; readonly jobId: string }
  | { readonly _tag: "AlreadyExists" };

export interface EventStore {
  loadHead(jobId: string): Promise<StoredHead | null>;
  /** Several heads in one round trip. */
  loadHeads(jobIds: ReadonlyArray<string>): Promise<ReadonlyArray<StoredHead | null>>;
  /** Atomic compare-and-append (one script call). */
  append(request: AppendRequest): Promise<AppendOutcome>;
  /** Several appends pipelined in one round trip; each is atomic on its own. */
  appendMany(requests: ReadonlyArray<AppendRequest>): Promise<ReadonlyArray<AppendOutcome>>;
  /** A job's whole history, in seq order. */
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
  /** New entries for this consumer, highest priority first, without blocking. */
  claim(consumer: string, queues: ReadonlyArray<string>, count: number): Promise<ReadonlyArray<Claimed>>;
  /**
   * Wait up to `blockMs` for new entries (when idle): whatever arrives first, about `count` at
   * most (default 1; at least one per work stream of these queues).
   */
  waitForWork(
    consumer: string,
    queues: ReadonlyArray<string>,
    blockMs: number,
    count?: number,
  ): Promise<ReadonlyArray<Claimed>>;
  /** Keep leases alive; returns the entries this consumer no longer owns. */
  renew(consumer: string, entries: ReadonlyArray<WorkEntry>): Promise<ReadonlyArray<WorkEntry>>;
  /** Take over entries idle longer than `minIdleMs` (their worker died or stalled). */
  reclaim(
    consumer: string,
    queues: ReadonlyArray<string>,
    minIdleMs: number,
    count: number,
  ): Promise<ReadonlyArray<Claimed>>;
  /** Acknowledge and delete an entry whose job no longer needs it. */
  discard(entry: WorkEntry): Promise<void>;
  /** Jobs in the delayed set due at or before `nowMs`. */
  dueJobs(nowMs: number, limit: number): Promise<ReadonlyArray<string>>;
  /** Dead-lettered job ids, newest first. */
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
  /** Live workers; entries not seen within their TTL age out. */
  list(nowMs: number): Promise<ReadonlyArray<WorkerInfo>>;
}

export { type Clock, systemClock } from "./shared/index.ts";
