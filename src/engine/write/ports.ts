/**
 * The write room's ports: the event store every change is appended to (one atomic
 * compare-and-append per job), and the dead-letter index the store keeps beside it. Implemented
 * in src/infra (Redis) and injected by the composition root. Everything here speaks domain types;
 * nothing here knows about Redis.
 */
import type { Envelope, JobState, JobStatus, Json } from "../../domain/index.ts";

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
  /** Each envelope as the JSON text to store, in the same order (`seal`'s `texts`). */
  readonly texts: ReadonlyArray<string>;
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

/** A flow's all-or-nothing append: applied, or refused (by the first job refused) and nothing written. */
export type FlowAppendOutcome =
  | { readonly _tag: "Applied" }
  | { readonly _tag: "Refused"; readonly index: number; readonly outcome: AppendOutcome };

/**
 * All or nothing appends for a flow's submit (ADR 0042): every request checked before any is
 * written, in one script call, so the requests must be of distinct jobs of one shard (a flow's
 * jobs are placed in its parent's shard), at most MAX_FLOW_JOBS of them.
 */
export interface FlowStore {
  appendAll(requests: ReadonlyArray<AppendRequest>): Promise<FlowAppendOutcome>;
}

/**
 * Links between jobs and the jobs they depend on (ADR 0042), kept beside the event store: which
 * jobs named a job in `dependsOn` (for reading: `GET /v1/jobs/:id`'s dependents), and which jobs
 * wait for their dependencies (for the dependency follower). A link is written before the
 * dependent's submit, so one may name a job never created (its submit failed): readers skip those.
 */
export interface DependencyLinks {
  /** Note that `dependent` depends on each of `dependencies` (idempotent). */
  link(dependent: string, dependencies: ReadonlyArray<string>): Promise<void>;
  /**
   * Take back what `link` noted for a submit that made no job `dependent` (an idempotent repeat
   * answered with the job its key names): its id would stay in each set, and the set of a flow's
   * child that was never made would stay in Redis for good.
   */
  unlink(dependent: string, dependencies: ReadonlyArray<string>): Promise<void>;
  /** The jobs that named `jobId` as a dependency (some may not exist), at most `limit`. */
  dependents(jobId: string, limit: number): Promise<ReadonlyArray<string>>;
  /** How many shards the waiting index has (0 .. shards - 1). */
  readonly shards: number;
  /**
   * Up to `limit` jobs of one shard that wait for their dependencies (or were dead-lettered by a
   * dependency's failure and may still be released), oldest first, from `offset`.
   */
  waitingIn(shard: number, offset: number, limit: number): Promise<ReadonlyArray<string>>;
  /**
   * Each job's status as its head in Redis says (null for one not there), in one round trip:
   * what the follower reads each pass instead of whole heads.
   */
  statuses(jobIds: ReadonlyArray<string>): Promise<ReadonlyArray<JobStatus | null>>;
}

/**
 * Where a cancel is announced once it is recorded, so the worker running the job hears of it at
 * once rather than at its next lease renewal (ADR 0040). Best effort: a lost announcement costs
 * only time, since the renewal finds the job's entry gone anyway.
 */
export interface CancelNotices {
  announce(jobId: string): Promise<void>;
}

/**
 * The jobs that ended in `dead_letter`, as the store indexes them when it appends the event that
 * puts a job there. Part of the WorkQueue port (worker/ports.ts); the job service needs only this.
 */
export interface DeadLetterIndex {
  /** Dead-lettered job ids, newest first, with when they were dead-lettered (the append's `nowMs`). */
  deadLetters(limit: number): Promise<ReadonlyArray<{ readonly jobId: string; readonly atMs: number }>>;
}
