/**
 * The Redis implementation of the engine's EventStore, WorkQueue and WorkerRegistry ports.
 *
 * Layout (keys.ts): per shard a head hash and a history list per job (ADR 0015), one shard log,
 * one work stream per queue and priority level (read by the consumer group), a delayed set and a
 * dead-letter set. Every state change goes through append.lua; reads are plain commands,
 * pipelined where there are many.
 */
import type { Redis } from "ioredis";
import { contextOf, type Envelope, statusOf } from "../../domain/index.ts";
import {
  type AppendOutcome,
  type AppendRequest,
  type EventStore,
  shardOf,
  type StoredHead,
} from "../../engine/write/index.ts";
import type { Claimed, WorkEntry, WorkerInfo, WorkerRegistry, WorkQueue } from "../../engine/worker/ports.ts";
import { guarded } from "./connection.ts";
import { decodeHead, encodeLive, encodeSpec, HEAD_FIELDS } from "./head-codec.ts";
import { readStoredHistories } from "./job-history.ts";
import { Keys, LEVELS_HIGH_FIRST } from "./keys.ts";
import { type StreamEntries, streamField } from "./stream-entries.ts";
import { type ScriptClient, type ScriptPipeline, withScripts } from "./scripts.ts";

export const CONSUMER_GROUP = "docket-workers";

export interface RedisJobStoreOptions {
  readonly client: Redis;
  /** A separate connection for blocking reads; required only by workers. */
  readonly blockingClient?: Redis;
  readonly prefix?: string;
  readonly shards?: number;
}

/**
 * Jobs per append.lua call: large enough that a bulk submit or a worker's batch is a handful of
 * commands, small enough that one call does not hold Redis for long (scripts block the server:
 * 32 creations take about 1.5 ms; at 100 a bulk submit held the workers' commands up to 4 ms
 * per call, and in the end-to-end benchmark jobs waited longer for no gain in throughput).
 */
const APPEND_CHUNK = 32;

interface QueuedAppend {
  readonly request: AppendRequest;
  readonly resolve: (outcome: AppendOutcome) => void;
  readonly reject: (error: unknown) => void;
}

export class RedisJobStore implements EventStore, WorkQueue, WorkerRegistry {
  readonly keys: Keys;
  private readonly client: Redis & ScriptClient;
  private readonly blocking: Redis | undefined;
  /** Appends waiting for this tick's flush (see append). */
  private queued: Array<QueuedAppend> = [];

  constructor(options: RedisJobStoreOptions) {
    this.client = withScripts(options.client);
    this.blocking = options.blockingClient;
    this.keys = new Keys(options.prefix ?? "docket", options.shards ?? 1);
  }

  shardOf(jobId: string): number {
    return shardOf(jobId, this.keys.shards);
  }

  // ---- EventStore -------------------------------------------------------------------------

  async loadHead(jobId: string): Promise<StoredHead | null> {
    const [head] = await this.loadHeads([jobId]);
    return head ?? null;
  }

  loadHeads(jobIds: ReadonlyArray<string>): Promise<ReadonlyArray<StoredHead | null>> {
    return guarded(async () => {
      if (jobIds.length === 0) return [];
      const pipeline = this.client.pipeline();
      for (const id of jobIds) pipeline.hmget(this.keys.head(this.shardOf(id), id), ...HEAD_FIELDS);
      const replies = (await pipeline.exec()) ?? [];
      return jobIds.map((id, i) => {
        const [error, fields] = replies[i] ?? [null, null];
        if (error) throw error;
        const [version, lastHash, spec, live, payload, state] = (fields as Array<string | null>) ?? [];
        return decodeHead(id, version, lastHash, spec, live, payload, state);
      });
    });
  }

  /**
   * One compare-and-append. Appends requested in the same tick are coalesced into one script
   * call per shard (append.lua takes many jobs), so concurrent writers — a worker's outcomes —
   * cost one command between them instead of one each (ADR 0011).
   */
  append(request: AppendRequest): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queued.push({ request, resolve, reject });
      if (this.queued.length === 1) process.nextTick(() => this.flushQueued());
    });
  }

  private flushQueued(): void {
    const batch = this.queued;
    this.queued = [];
    this.appendMany(batch.map((q) => q.request)).then(
      (outcomes) => batch.forEach((q, i) => q.resolve(outcomes[i] as AppendOutcome)),
      (error: unknown) => batch.forEach((q) => q.reject(error)),
    );
  }

  /**
   * Many appends: one script call per shard and chunk (several calls share one pipelined
   * write); each job is checked on its own.
   */
  appendMany(requests: ReadonlyArray<AppendRequest>): Promise<ReadonlyArray<AppendOutcome>> {
    return guarded(async () => {
      if (requests.length === 0) return [];
      const byShard = new Map<number, Array<number>>();
      requests.forEach((request, index) => {
        const shard = this.shardOf(request.jobId);
        const indices = byShard.get(shard);
        if (indices === undefined) byShard.set(shard, [index]);
        else indices.push(index);
      });
      const calls: Array<{ indices: ReadonlyArray<number>; keysAndArgs: Array<string | number> }> = [];
      for (const [shard, indices] of byShard)
        for (let from = 0; from < indices.length; from += APPEND_CHUNK) {
          const chunk = indices.slice(from, from + APPEND_CHUNK);
          calls.push({
            indices: chunk,
            keysAndArgs: this.appendArguments(
              shard,
              chunk.map((i) => requests[i] as AppendRequest),
            ),
          });
        }
      let replies: ReadonlyArray<unknown>;
      if (calls.length === 1) {
        const [call] = calls as [(typeof calls)[number]];
        replies = [await this.client.docketAppend(3, call.keysAndArgs)];
      } else {
        const pipeline = this.client.pipeline() as unknown as ScriptPipeline;
        for (const call of calls) pipeline.docketAppend(3, call.keysAndArgs);
        replies = ((await pipeline.exec()) ?? []).map(([error, reply]) => {
          if (error) throw error;
          return reply;
        });
      }
      const outcomes: Array<AppendOutcome> = new Array(requests.length);
      calls.forEach((call, c) => {
        const flat = replies[c] as Array<number | string>;
        call.indices.forEach((index, j) => {
          outcomes[index] = decodeAppendReply(flat[2 * j] as number, flat[2 * j + 1] as string);
        });
      });
      return outcomes;
    });
  }

  /**
   * KEYS and ARGV of append.lua for several jobs of one shard (see the script's header). The
   * per-job keys are built by the script from the shard's tag; the spec part of the state and
   * the payload are sent only when the job is created (ADR 0013).
   */
  private appendArguments(shard: number, requests: ReadonlyArray<AppendRequest>): Array<string | number> {
    const out: Array<string | number> = [
      this.keys.log(shard),
      this.keys.delayed(shard),
      this.keys.dead(shard),
      CONSUMER_GROUP,
      requests.length,
      this.keys.shardTag(shard),
    ];
    for (const request of requests) {
      const { jobId, next } = request;
      const context = contextOf(next);
      const creating = request.create !== undefined && request.expected.version === 0;
      const first = request.envelopes[0];
      const last = request.envelopes[request.envelopes.length - 1];
      if (first === undefined || last === undefined) throw new Error("append needs at least one envelope");
      out.push(
        jobId,
        request.expected.version,
        request.expected.status ?? "",
        request.fencingAttempt ?? "",
        first.prevHash,
        last.seq,
        last.hash,
        statusOf(next),
        context.attempt,
        encodeLive(next),
        context.dueAt === null ? "" : Date.parse(context.dueAt),
        request.nowMs,
        creating ? JSON.stringify(request.create?.payload ?? null) : "",
        creating ? encodeSpec(next) : "",
        request.create?.idempotencyKey ?? "",
        this.keys.workSuffix(context.queue, context.priority),
        request.envelopes.length,
      );
      for (const envelope of request.envelopes)
        out.push(envelope.seq, envelope.type, JSON.stringify(envelope));
    }
    return out;
  }

  async readEvents(jobId: string): Promise<ReadonlyArray<Envelope>> {
    const [events] = await this.readEventsMany([jobId]);
    return events ?? [];
  }

  readEventsMany(jobIds: ReadonlyArray<string>): Promise<ReadonlyArray<ReadonlyArray<Envelope>>> {
    return guarded(async () => {
      const histories = await readStoredHistories(
        this.client,
        this.keys,
        jobIds.map((jobId) => ({ shard: this.shardOf(jobId), jobId })),
      );
      return histories.map((history, j) =>
        history.map((entry) => {
          if (entry.env === null) throw new Error(`a history entry of job ${jobIds[j]} has no env field`);
          return JSON.parse(entry.env) as Envelope;
        }),
      );
    });
  }

  // ---- WorkQueue --------------------------------------------------------------------------

  /** Work streams of these queues in one shard, highest priority level first. */
  private streamsOf(shard: number, queues: ReadonlyArray<string>): Array<string> {
    return LEVELS_HIGH_FIRST.flatMap((level) => queues.map((queue) => this.keys.work(shard, queue, level)));
  }

  ensureGroups(queues: ReadonlyArray<string>): Promise<void> {
    return guarded(async () => {
      const pipeline = this.client.pipeline();
      for (const shard of this.keys.allShards())
        for (const stream of this.streamsOf(shard, queues))
          pipeline.xgroup("CREATE", stream, CONSUMER_GROUP, "0", "MKSTREAM");
      const replies = (await pipeline.exec()) ?? [];
      for (const [error] of replies) if (error && !String(error.message).includes("BUSYGROUP")) throw error;
    });
  }

  claim(consumer: string, queues: ReadonlyArray<string>, count: number): Promise<ReadonlyArray<Claimed>> {
    return guarded(async () => {
      const claimed: Array<Claimed> = [];
      for (const shard of this.keys.allShards()) {
        if (claimed.length >= count) break;
        const streams = this.streamsOf(shard, queues);
        const rows = (await this.client.docketClaim(
          streams.length,
          ...streams,
          CONSUMER_GROUP,
          consumer,
          count - claimed.length,
          this.keys.headPrefix(shard),
          ...HEAD_FIELDS,
        )) as Array<[string, string, string, ...Array<string | false>]>;
        for (const [stream, entryId, jobId, version, lastHash, spec, live, payload, state] of rows)
          claimed.push({
            stream,
            entryId,
            jobId,
            head: decodeHead(jobId, version, lastHash, spec, live, payload, state),
          });
      }
      return claimed;
    });
  }

  async waitForWork(
    consumer: string,
    queues: ReadonlyArray<string>,
    blockMs: number,
    count = 1,
  ): Promise<ReadonlyArray<Claimed>> {
    const blocking = this.blocking;
    if (blocking === undefined) throw new Error("waitForWork needs a blocking connection");
    const streams = this.keys.allShards().flatMap((shard) => this.streamsOf(shard, queues));
    const reply = (await guarded(() =>
      blocking.xreadgroup(
        "GROUP",
        CONSUMER_GROUP,
        consumer,
        "COUNT",
        // The count applies per stream; at least one each, as a blocking read cannot ask for less.
        Math.max(1, Math.floor(count / streams.length)),
        "BLOCK",
        blockMs,
        "STREAMS",
        ...streams,
        ...streams.map(() => ">"),
      ),
    )) as Array<[string, StreamEntries]> | null;
    if (reply === null) return [];
    // New entries carry their job's head as it was when queued (append.lua), which is current
    // for an entry never delivered before: no second round trip to read the heads.
    const entries = reply.flatMap(([stream, items]) =>
      items.map(([entryId, fields]) => {
        const jobId = fieldOf(fields, "jobId");
        const head = decodeHead(
          jobId,
          optionalField(fields, "version"),
          optionalField(fields, "lastHash"),
          optionalField(fields, "spec"),
          optionalField(fields, "live"),
          optionalField(fields, "payload"),
          optionalField(fields, "state"),
        );
        return { stream, entryId, jobId, head };
      }),
    );
    const missing = entries.filter((e) => e.head === null);
    if (missing.length === 0) return entries;
    // Entries written before entries carried heads: read them.
    const heads = new Map(
      (await this.loadHeads(missing.map((e) => e.jobId))).map((head, i) => [missing[i]?.jobId, head]),
    );
    return entries.map((entry) =>
      entry.head === null ? { ...entry, head: heads.get(entry.jobId) ?? null } : entry,
    );
  }

  renew(consumer: string, entries: ReadonlyArray<WorkEntry>): Promise<ReadonlyArray<WorkEntry>> {
    return guarded(async () => {
      const byStream = new Map<string, Array<string>>();
      for (const { stream, entryId } of entries)
        byStream.set(stream, [...(byStream.get(stream) ?? []), entryId]);
      const lost = await Promise.all(
        [...byStream].map(async ([stream, ids]) => {
          const gone = (await this.client.docketRenew(
            1,
            stream,
            CONSUMER_GROUP,
            consumer,
            ...ids,
          )) as Array<string>;
          return gone.map((entryId) => ({ stream, entryId }));
        }),
      );
      return lost.flat();
    });
  }

  reclaim(
    consumer: string,
    queues: ReadonlyArray<string>,
    minIdleMs: number,
    count: number,
  ): Promise<ReadonlyArray<Claimed>> {
    return guarded(async () => {
      const streams = this.keys.allShards().flatMap((shard) => this.streamsOf(shard, queues));
      const found: Array<{ stream: string; entryId: string; jobId: string }> = [];
      for (const stream of streams) {
        if (found.length >= count) break;
        const [, entries] = (await this.client.xautoclaim(
          stream,
          CONSUMER_GROUP,
          consumer,
          minIdleMs,
          "0-0",
          "COUNT",
          count - found.length,
        )) as [string, StreamEntries, Array<string>];
        for (const [entryId, fields] of entries)
          if (fields) found.push({ stream, entryId, jobId: fieldOf(fields, "jobId") });
      }
      const heads = await this.loadHeads(found.map((f) => f.jobId));
      return found.map((f, i) => ({ ...f, head: heads[i] ?? null }));
    });
  }

  discard(entry: WorkEntry): Promise<void> {
    return guarded(async () => {
      await this.client
        .multi()
        .xack(entry.stream, CONSUMER_GROUP, entry.entryId)
        .xdel(entry.stream, entry.entryId)
        .exec();
    });
  }

  dueJobs(nowMs: number, limit: number): Promise<ReadonlyArray<string>> {
    return guarded(async () => {
      const perShard = await Promise.all(
        this.keys
          .allShards()
          .map((shard) =>
            this.client.zrangebyscore(this.keys.delayed(shard), "-inf", nowMs, "LIMIT", 0, limit),
          ),
      );
      return perShard.flat().slice(0, limit);
    });
  }

  deadLetters(limit: number): Promise<ReadonlyArray<{ readonly jobId: string; readonly atMs: number }>> {
    return guarded(async () => {
      const perShard = await Promise.all(
        this.keys
          .allShards()
          .map((shard) => this.client.zrevrange(this.keys.dead(shard), 0, limit - 1, "WITHSCORES")),
      );
      const rows: Array<{ jobId: string; atMs: number }> = [];
      for (const flat of perShard)
        for (let i = 0; i + 1 < flat.length; i += 2)
          rows.push({ jobId: flat[i] as string, atMs: Number(flat[i + 1]) });
      return rows.sort((a, b) => b.atMs - a.atMs).slice(0, limit);
    });
  }

  depth(
    queues: ReadonlyArray<string>,
  ): Promise<ReadonlyArray<{ readonly queue: string; readonly waiting: number; readonly pending: number }>> {
    return guarded(async () => {
      const pipeline = this.client.pipeline();
      const cells: Array<string> = [];
      for (const queue of queues)
        for (const shard of this.keys.allShards())
          for (const level of LEVELS_HIGH_FIRST) {
            const stream = this.keys.work(shard, queue, level);
            cells.push(queue);
            pipeline.xlen(stream);
            pipeline.xpending(stream, CONSUMER_GROUP);
          }
      const replies = (await pipeline.exec()) ?? [];
      const totals = new Map(queues.map((q) => [q, { queue: q, waiting: 0, pending: 0 }]));
      cells.forEach((queue, i) => {
        const [lenError, length] = replies[2 * i] ?? [null, 0];
        const [, pendingReply] = replies[2 * i + 1] ?? [null, null];
        if (lenError) throw lenError;
        const pending = Array.isArray(pendingReply) ? Number(pendingReply[0] ?? 0) : 0;
        const total = totals.get(queue);
        if (total === undefined) return;
        total.pending += pending;
        total.waiting += Number(length) - pending;
      });
      return [...totals.values()];
    });
  }

  // ---- WorkerRegistry ---------------------------------------------------------------------

  heartbeat(info: WorkerInfo, ttlMs: number): Promise<void> {
    return guarded(async () => {
      const key = this.keys.worker(info.id);
      await this.client
        .multi()
        .hset(key, { info: JSON.stringify(info), ttlMs: String(ttlMs) })
        .pexpire(key, ttlMs)
        .zadd(this.keys.workers(), Date.parse(info.lastSeenAt) + ttlMs, info.id)
        .exec();
    });
  }

  remove(id: string): Promise<void> {
    return guarded(async () => {
      await this.client.multi().del(this.keys.worker(id)).zrem(this.keys.workers(), id).exec();
    });
  }

  list(nowMs: number): Promise<ReadonlyArray<WorkerInfo>> {
    return guarded(async () => {
      // Scores are expiry times: anything below now has aged out.
      await this.client.zremrangebyscore(this.keys.workers(), "-inf", nowMs);
      const ids = await this.client.zrange(this.keys.workers(), "0", "-1");
      if (ids.length === 0) return [];
      const pipeline = this.client.pipeline();
      for (const id of ids) pipeline.hget(this.keys.worker(id), "info");
      const replies = (await pipeline.exec()) ?? [];
      return replies.flatMap(([, info]) =>
        typeof info === "string" ? [JSON.parse(info) as WorkerInfo] : [],
      );
    });
  }
}

const optionalField = (fields: ReadonlyArray<string> | null, name: string): string | undefined =>
  streamField(fields, name) ?? undefined;

const fieldOf = (fields: ReadonlyArray<string> | null, name: string): string => {
  const value = optionalField(fields, name);
  if (value === undefined) throw new Error(`stream entry has no ${name} field`);
  return value;
};

const decodeAppendReply = (code: number, value: string): AppendOutcome => {
  switch (code) {
    case 1:
      return { _tag: "Appended", version: Number(value) };
    case -1:
      return { _tag: "VersionConflict", currentVersion: Number(value) };
    case -2:
      return { _tag: "StatusConflict", currentStatus: value };
    case -3:
      return { _tag: "Fenced", currentAttempt: Number(value) };
    case -4:
      return { _tag: "ChainBroken", currentLastHash: value };
    case -5:
      return { _tag: "IdempotentRepeat", jobId: value };
    case -6:
      return { _tag: "AlreadyExists" };
    default:
      throw new Error(`append.lua returned an unknown code ${code}`);
  }
};
