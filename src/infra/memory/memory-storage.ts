/**
 * What the memory adapters share, as the Redis adapters share a Redis server: job heads and
 * histories, idempotency keys, the work streams with their consumer group, the delayed and
 * dead-letter sets and the worker registry. Adapters built on one MemoryStorage see each other's
 * writes, as two connections to one Redis do (a worker's lanes are two adapters on one storage).
 *
 * Its clock stands for the Redis server's: pending entries' idle times are measured by it. A
 * test that injects a manual clock decides when a lease expires.
 *
 * Lifetime: whoever creates it (a test). There is nothing to close: a blocked read ends by its
 * own timeout or when work arrives.
 */
import { PRIORITY_LEVELS, type Priority } from "../../domain/index.ts";
import type { Clock } from "../../engine/shared/index.ts";
import type { StoredHead } from "../../engine/write/ports.ts";
import { SortedSet } from "./sorted-set.ts";
import { NoGroupError, WorkStream } from "./work-stream.ts";

/**
 * A job as stored: its head's fields, its current work entry and its history, which, as in Redis
 * (ADR 0027), names the job's entries in the one log of every event (positions in `log`).
 */
export interface StoredJob {
  version: number;
  lastHash: string;
  status: string;
  attempt: number;
  /** The JobState as JSON text: every read parses a fresh copy, as a Redis read would. */
  state: string;
  /** The payload as JSON text, set when the job is created. */
  readonly payload: string;
  entry: { readonly stream: string; readonly entryId: string } | null;
  readonly history: Array<number>;
}

const LEVELS_HIGH_FIRST: ReadonlyArray<Priority> = (Object.keys(PRIORITY_LEVELS) as Array<Priority>).sort(
  (a, b) => PRIORITY_LEVELS[b] - PRIORITY_LEVELS[a],
);

/** The work stream of a queue and priority level (the Redis adapter's key, less prefix and shard). */
export const workStreamName = (queue: string, priority: Priority): string =>
  `work:${queue}:${PRIORITY_LEVELS[priority]}`;

/** The work streams of these queues, in the order to serve them: highest level first, then the queues in order. */
export const workStreamsOf = (queues: ReadonlyArray<string>): Array<string> =>
  LEVELS_HIGH_FIRST.flatMap((level) => queues.map((queue) => workStreamName(queue, level)));

/** Called after a write added entries to these streams, in the order they were added. */
type NewWorkListener = (streams: ReadonlyArray<string>) => void;

export class MemoryStorage {
  readonly jobs = new Map<string, StoredJob>();
  /**
   * Every event, once, as envelope JSON text, in commit order: the shard logs of the Redis
   * layout in one (no shards here); jobs' histories name positions in it.
   */
  readonly log: Array<string> = [];
  /** Idempotency key → the id of the job it created. */
  readonly idempotencyKeys = new Map<string, string>();
  /** Pending and failed jobs, scored by when they are due (ms). */
  readonly delayed = new SortedSet();
  /** Dead-lettered jobs, scored by when they were dead-lettered (ms). */
  readonly dead = new SortedSet();
  /** Worker id → its last heartbeat's info (JSON text) and when it ages out (ms). */
  readonly workers = new Map<string, { readonly info: string; readonly expiresAtMs: number }>();
  private readonly streams = new Map<string, WorkStream>();
  private lastSerial = 0;
  private readonly listeners = new Set<NewWorkListener>();

  constructor(readonly clock: Clock) {}

  /** A job's head as a reader gets it, or null. */
  headOf(jobId: string): StoredHead | null {
    const job = this.jobs.get(jobId);
    if (job === undefined) return null;
    return {
      jobId,
      version: job.version,
      lastHash: job.lastHash,
      state: JSON.parse(job.state),
      payload: JSON.parse(job.payload),
    };
  }

  /** A work stream, made on first use (XADD and XGROUP CREATE … MKSTREAM make one in Redis). */
  stream(name: string): WorkStream {
    let stream = this.streams.get(name);
    if (stream === undefined) {
      stream = new WorkStream(name);
      this.streams.set(name, stream);
    }
    return stream;
  }

  /** A work stream that a group command may act on: one that does not exist has no group either. */
  streamWithGroup(name: string): WorkStream {
    const stream = this.streams.get(name);
    if (stream === undefined) throw new NoGroupError(name);
    return stream;
  }

  /** A stream that may not exist (XLEN and XPENDING's count read 0 then). */
  existingStream(name: string): WorkStream | undefined {
    return this.streams.get(name);
  }

  /** Add a work entry; returns its id. */
  addEntry(stream: string, jobId: string, head: StoredHead): string {
    this.lastSerial += 1;
    return this.stream(stream).add(this.lastSerial, jobId, JSON.stringify(head));
  }

  /** Listen for new entries (a blocked read); returns the function that stops listening. */
  onNewWork(listener: NewWorkListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Wake blocked reads once a write that added entries is complete (Redis serves them after the script). */
  newWorkIn(streams: ReadonlyArray<string>): void {
    if (streams.length === 0) return;
    for (const listener of [...this.listeners]) listener(streams);
  }
}
