/**
 * The WorkQueue port in memory, with the Redis adapter's semantics: one work stream per queue and
 * priority level with one consumer group; `claim` reads new entries highest level first (claim.lua)
 * with each job's current head; `waitForWork` blocks until entries arrive or `blockMs` passes
 * (0: no limit), then claims; `renew` resets
 * the idle time of the entries the consumer still owns and reports the others (renew.lua);
 * `reclaim` takes over entries idle at least `minIdleMs` (XAUTOCLAIM) with their current heads;
 * `discard` drops an entry only for the consumer it is pending to (discard.lua); idle times are
 * measured by the storage's clock. Claiming, renewing or reclaiming on a queue
 * whose groups were never made (ensureGroups) is refused with NOGROUP, as in Redis.
 *
 * Deliberately not modelled:
 * - The blocking read's timeout is a real timer (`setTimeout(blockMs)`), not the storage's clock:
 *   a Clock only tells the time. Entries queued meanwhile wake it at once, as in Redis; a reader
 *   woken so is served by `claim`, highest level first, as the Redis adapter serves it.
 * - Rate limits, concurrency keys and fairness weights (ADR 0039): Redis only.
 * - Shards: one set of work streams (in Redis, one per shard, read shard by shard).
 * - Outages and round trips, as in memory-event-store.ts.
 */
import type { Claimed, DepthCell, WorkEntry, WorkQueue } from "../../engine/worker/ports.ts";
import { type MemoryStorage, workStreamsOf } from "./memory-storage.ts";

export class MemoryWorkQueue implements WorkQueue {
  constructor(private readonly storage: MemoryStorage) {}

  async ensureGroups(queues: ReadonlyArray<string>): Promise<void> {
    for (const name of workStreamsOf(queues)) this.storage.stream(name).createGroup();
  }

  async claim(
    consumer: string,
    queues: ReadonlyArray<string>,
    count: number,
  ): Promise<ReadonlyArray<Claimed>> {
    const nowMs = this.storage.clock.now();
    const claimed: Array<Claimed> = [];
    for (const name of workStreamsOf(queues)) {
      const remaining = count - claimed.length;
      if (remaining <= 0) break;
      for (const entry of this.storage.streamWithGroup(name).readNew(consumer, remaining, nowMs))
        claimed.push({
          stream: name,
          entryId: entry.id,
          jobId: entry.jobId,
          head: this.storage.headOf(entry.jobId),
        });
    }
    return claimed;
  }

  waitForWork(
    consumer: string,
    queues: ReadonlyArray<string>,
    blockMs: number,
    count = 1,
  ): Promise<ReadonlyArray<Claimed>> {
    const names = workStreamsOf(queues);
    // Refused at once without a group, as XREADGROUP is.
    const streams = names.map((name) => this.storage.streamWithGroup(name));
    // Served by the same claim as `claim`, highest level first (as the Redis adapter, ADR 0039).
    if (streams.some((stream) => stream.hasNew())) return this.claim(consumer, queues, count);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (claim: boolean) => {
        stopListening();
        if (timer !== undefined) clearTimeout(timer);
        // After the rest of the write that woke it, as Redis answers once the script has run.
        if (claim) setImmediate(() => this.claim(consumer, queues, count).then(resolve, reject));
        else resolve([]);
      };
      const stopListening = this.storage.onNewWork((added) => {
        if (added.some((name) => names.includes(name) && this.storage.streamWithGroup(name).hasNew()))
          finish(true);
      });
      if (blockMs > 0) timer = setTimeout(() => finish(false), blockMs);
    });
  }

  async renew(consumer: string, entries: ReadonlyArray<WorkEntry>): Promise<ReadonlyArray<WorkEntry>> {
    const byStream = new Map<string, Array<string>>();
    for (const { stream, entryId } of entries)
      byStream.set(stream, [...(byStream.get(stream) ?? []), entryId]);
    const nowMs = this.storage.clock.now();
    const lost: Array<WorkEntry> = [];
    for (const [name, ids] of byStream) {
      const stream = this.storage.streamWithGroup(name);
      for (const entryId of ids)
        if (stream.ownerOf(entryId) === consumer) stream.touch(entryId, nowMs);
        else lost.push({ stream: name, entryId });
    }
    return lost;
  }

  async reclaim(
    consumer: string,
    queues: ReadonlyArray<string>,
    minIdleMs: number,
    count: number,
  ): Promise<ReadonlyArray<Claimed>> {
    const nowMs = this.storage.clock.now();
    const found: Array<{ stream: string; entryId: string; jobId: string }> = [];
    for (const name of workStreamsOf(queues)) {
      if (found.length >= count) break;
      const stream = this.storage.streamWithGroup(name);
      for (const entry of stream.autoclaim(consumer, minIdleMs, count - found.length, nowMs))
        found.push({ stream: name, entryId: entry.id, jobId: entry.jobId });
    }
    return found.map((f) => ({ ...f, head: this.storage.headOf(f.jobId) }));
  }

  async discard(consumer: string, entry: WorkEntry): Promise<boolean> {
    const stream = this.storage.existingStream(entry.stream);
    // Only for the consumer it is pending to (discard.lua).
    if (stream === undefined || stream.ownerOf(entry.entryId) !== consumer) return false;
    stream.ack(entry.entryId);
    stream.delete(entry.entryId);
    return true;
  }

  async release(consumer: string, entries: ReadonlyArray<WorkEntry>, idleMs: number): Promise<void> {
    const nowMs = this.storage.clock.now();
    for (const entry of entries) {
      const stream = this.storage.existingStream(entry.stream);
      // Only for the consumer it is pending to (release.lua): idle as if delivered idleMs ago.
      if (stream !== undefined && stream.ownerOf(entry.entryId) === consumer)
        stream.touch(entry.entryId, nowMs - idleMs);
    }
  }

  async dueJobs(nowMs: number, limit: number): Promise<ReadonlyArray<string>> {
    return this.storage.delayed.upTo(nowMs, limit);
  }

  async deadLetters(
    limit: number,
  ): Promise<ReadonlyArray<{ readonly jobId: string; readonly atMs: number }>> {
    return this.storage.dead.highestFirst(limit).map(({ member, score }) => ({ jobId: member, atMs: score }));
  }

  async depth(
    queues: ReadonlyArray<string>,
  ): Promise<ReadonlyArray<{ readonly queue: string; readonly waiting: number; readonly pending: number }>> {
    const totals = new Map(queues.map((queue) => [queue, { queue, waiting: 0, pending: 0 }]));
    for (const queue of queues) {
      const total = totals.get(queue);
      if (total === undefined) continue;
      for (const name of workStreamsOf([queue])) {
        const stream = this.storage.existingStream(name);
        const pending = stream?.pendingCount ?? 0;
        total.pending += pending;
        total.waiting += (stream?.length ?? 0) - pending;
      }
    }
    return [...totals.values()];
  }

  /** One shard in memory: every queue's entries are on it. */
  async depthCells(queues: ReadonlyArray<string>): Promise<ReadonlyArray<DepthCell>> {
    return (await this.depth(queues)).map((q) => ({ ...q, shard: 0 }));
  }
}

/** A claimed entry with the head it carries (the job's head when it was queued). */
