/**
 * The worker room's ports: the work queue a worker claims entries from (consumer groups on the
 * work streams, with leases, reclaim, the delayed set and the dead-letter index), and the
 * registry workers heartbeat into. Implemented in src/infra (Redis) and injected by the
 * composition root.
 */
import type { DeadLetterIndex, StoredHead } from "../write/index.ts";

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

export interface WorkQueue extends DeadLetterIndex {
  /** Make sure the consumer group exists on every work stream of these queues. */
  ensureGroups(queues: ReadonlyArray<string>): Promise<void>;
  /**
   * New entries for this consumer, without blocking: higher priority levels first across all
   * these queues, then the queues in the order given, each oldest first; with each job's current
   * head.
   */
  claim(consumer: string, queues: ReadonlyArray<string>, count: number): Promise<ReadonlyArray<Claimed>>;
  /**
   * Wait up to `blockMs` for new entries (when idle; 0 waits without limit), then take them as
   * `claim` does: at most `count` (default 1), highest level first, so a wake-up by a bulk of
   * several levels starts the most urgent (ADR 0039). An adapter that holds work back (rate
   * limits, concurrency keys) ends the wait when it may allow a start again.
   */
  waitForWork(
    consumer: string,
    queues: ReadonlyArray<string>,
    blockMs: number,
    count?: number,
  ): Promise<ReadonlyArray<Claimed>>;
  /**
   * After a claim that found nothing: how long until work it held back (a rate limit, a full
   * concurrency key; ADR 0039) may start, or undefined when it held nothing back. Adapters that
   * hold nothing back need not implement it.
   */
  heldBackMs?(): number | undefined;
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
  /**
   * Acknowledge and delete an entry whose job no longer needs it, only if it is pending to this
   * consumer (atomically): an entry another consumer reclaimed is its lease on the job. Resolves
   * with whether it was dropped.
   */
  discard(consumer: string, entry: WorkEntry): Promise<boolean>;
  /**
   * Entries delivered to this consumer that it will not start (it is stopping with entries
   * claimed ahead or over-delivered): each one still pending to this consumer has its idle time
   * set to `idleMs` (atomically per entry), so another worker's next reclaim takes it over
   * instead of waiting out a whole lease. Nothing is acknowledged: the entry stays pending until
   * then, and one another consumer holds is left as it is.
   */
  release(consumer: string, entries: ReadonlyArray<WorkEntry>, idleMs: number): Promise<void>;
  /** Jobs in the delayed set due at or before `nowMs`, at most `limit` (earliest first within a shard). */
  dueJobs(nowMs: number, limit: number): Promise<ReadonlyArray<string>>;
  /** Entries waiting and entries delivered but unacknowledged, per queue. */
  depth(
    queues: ReadonlyArray<string>,
  ): Promise<ReadonlyArray<{ readonly queue: string; readonly waiting: number; readonly pending: number }>>;
  /**
   * The same entries, per queue and shard (how evenly a cluster's masters carry them): one cell
   * for each queue on each shard, in one round trip.
   */
  depthCells(queues: ReadonlyArray<string>): Promise<ReadonlyArray<DepthCell>>;
}

/** Entries of one queue on one shard: waiting, and delivered but unacknowledged. */
export interface DepthCell {
  readonly queue: string;
  readonly shard: number;
  readonly waiting: number;
  readonly pending: number;
}

/**
 * Cancels as they are recorded (CancelNotices on the write side): the job ids, for the worker to
 * check at once whether it still owns their entries (ADR 0040). Messages may be lost (a
 * disconnect): the lease renewal remains the guarantee, this only makes it prompt.
 */
export interface CancelFeed {
  /** Call `cancelled` with each announced job id until the returned `stop` is called. */
  listen(cancelled: (jobId: string) => void): Promise<{ stop(): Promise<void> }>;
}

/** idle: no handler running; busy: at least one; stopping: taking no more work, finishing what it has. */
export type WorkerStatus = "idle" | "busy" | "stopping";

/** Most job ids a heartbeat lists as the worker's current jobs (a worker may run hundreds). */
export const MAX_CURRENT_JOBS = 50;

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
  readonly status: WorkerStatus;
  /** Jobs whose attempt it runs now (started, outcome not yet written), at most MAX_CURRENT_JOBS. */
  readonly currentJobs: ReadonlyArray<string>;
  readonly completed: number;
  readonly failed: number;
  readonly startedAt: string;
  /** Its last heartbeat (uptime as of then: lastSeenAt − startedAt, both the worker's clock). */
  readonly lastSeenAt: string;
}

export interface WorkerRegistry {
  heartbeat(info: WorkerInfo, ttlMs: number): Promise<void>;
  remove(id: string): Promise<void>;
  /** Live workers; one ages out once `nowMs` reaches its last heartbeat's `lastSeenAt` + TTL. */
  list(nowMs: number): Promise<ReadonlyArray<WorkerInfo>>;
}
