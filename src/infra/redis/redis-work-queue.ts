/**
 * The Redis implementation of the engine's WorkQueue port: delivery through consumer groups.
 *
 * One work stream per shard, queue and priority level (keys.ts), read by the group
 * CONSUMER_GROUP highest level first; entries are written (and deleted once their job no longer
 * needs them) by append.lua and carry the job's head as it was when queued. Leases are the
 * group's idle times: claim.lua and a blocking XREADGROUP deliver, renew.lua keeps leases,
 * XAUTOCLAIM takes over expired ones (ADR 0005), discard.lua drops an entry for its owner only (ADR 0025), release.lua makes an entry its owner will not start reclaimable at once (ADR 0033). The delayed and dead-letter sets are read here
 * too; append.lua maintains them.
 *
 * Lifetime: the caller owns both connections.
 */
import {
  type Credits,
  type DeliveryPolicy,
  type Fairness,
  LEVEL_ORDER,
  NO_CREDITS,
  type Priority,
  sharePicks,
} from "../../domain/index.ts";
import type { Claimed, DepthCell, WorkEntry, WorkQueue } from "../../engine/worker/ports.ts";
import { CLUSTER_POLL_MS, guarded, type RedisClient } from "./connection.ts";
import { ShardPipelines } from "./shard-pipelines.ts";
import { decodeHead, HEAD_FIELDS } from "./head-codec.ts";
import { readHeads } from "./job-heads.ts";
import { CONSUMER_GROUP, Keys, LEVELS_HIGH_FIRST } from "./keys.ts";
import { requiredStreamField, type StreamEntries } from "./stream-entries.ts";
import { type ScriptClient, withScripts } from "./scripts.ts";

export interface RedisWorkQueueOptions {
  readonly client: RedisClient;
  /** A separate connection for blocking reads (`waitForWork`); only workers need it. */
  readonly blockingClient?: RedisClient;
  /** Key prefix (default "docket"). */
  readonly prefix?: string;
  /** Number of shards (default 1). */
  readonly shards?: number;
  /** Rate limits and fairness of the worker that claims through this queue (ADR 0039). */
  readonly delivery?: DeliveryPolicy;
}

/** How long an idle worker waits before looking again when a full concurrency key held work back. */
const HELD_BACK_POLL_MS = 100;

/** claim.lua's answer: the rows, the wait a limit asks for (-1: none), the streams' cursors. */
type ClaimReply = [Array<[string, string, string, ...Array<string | false>]>, number, Array<string>];

export class RedisWorkQueue implements WorkQueue {
  readonly keys: Keys;
  private readonly client: RedisClient & ScriptClient;
  private readonly blocking: RedisClient | undefined;
  /** claim.lua's rate-limit arguments (the count of limits, then scope, name, interval each). */
  private readonly limitArgs: ReadonlyArray<string | number>;
  private readonly fairness: Fairness;
  /** The weighted round robin's credits, carried from claim to claim (one queue per lane). */
  private credits: Credits = NO_CREDITS;
  /** What the last claim held back: ms until a limit may allow a start (0: unknown), or -1. */
  private lastWaitMs = -1;

  constructor(options: RedisWorkQueueOptions) {
    this.client = withScripts(options.client);
    this.blocking = options.blockingClient;
    this.keys = new Keys(options.prefix ?? "docket", options.shards ?? 1);
    const limits = options.delivery?.rateLimits ?? [];
    // Each shard keeps its own limit state (its keys share its hash tag), so each allows 1/S of
    // the starts: together never more than the limit.
    this.limitArgs = [
      limits.length,
      ...limits.flatMap((l) => [l.scope, l.name, (l.windowMs / l.count) * this.keys.shards]),
    ];
    this.fairness = options.delivery?.fairness ?? { kind: "strict" };
  }

  /** Each level's share of a claim of `count` (all 0 when strict: the second pass serves by level). */
  private shares(count: number): Array<number> {
    if (this.fairness.kind === "strict") return [0, 0, 0, 0];
    const { shares, credits } = sharePicks(this.fairness.weights, this.credits, count);
    this.credits = credits;
    return LEVEL_ORDER.map((level) => shares[level]);
  }

  /** One claim.lua call on one shard. */
  private async claimShard(
    shard: number,
    consumer: string,
    queues: ReadonlyArray<string>,
    count: number,
    cursors: boolean,
    nowMs?: number,
  ): Promise<{ claimed: Array<Claimed>; waitMs: number; streams: Array<string>; cursors: Array<string> }> {
    const streams = this.streamsOf(shard, queues);
    const levels = LEVELS_HIGH_FIRST.flatMap((level: Priority) =>
      queues.map(() => LEVEL_ORDER.indexOf(level) + 1),
    );
    const [rows, waitMs, ids] = (await this.client.docketClaim(
      streams.length,
      streams,
      CONSUMER_GROUP,
      consumer,
      count,
      this.keys.shardTag(shard),
      nowMs === undefined ? "" : nowMs,
      cursors ? "1" : "",
      HEAD_FIELDS.length,
      HEAD_FIELDS,
      levels,
      this.shares(count),
      this.limitArgs,
    )) as ClaimReply;
    const claimed = rows.map(([stream, entryId, jobId, version, lastHash, spec, live, payload]) => ({
      stream,
      entryId,
      jobId,
      head: decodeHead(jobId, version, lastHash, spec, live, payload),
    }));
    return { claimed, waitMs: Number(waitMs), streams, cursors: ids };
  }

  /**
   * A claim across shards, with what an idle worker needs to wait well: the shortest wait a limit
   * asked for (-1: none) and, when asked and nothing was claimed, each stream's cursor.
   * `nowMs` replaces the server's clock for the rate limits (tests with a manual clock).
   */
  async claimWithWait(
    consumer: string,
    queues: ReadonlyArray<string>,
    count: number,
    options: { readonly cursors?: boolean; readonly nowMs?: number } = {},
  ): Promise<{ claimed: Array<Claimed>; waitMs: number; cursors: Map<string, string> }> {
    return guarded(async () => {
      const claimed: Array<Claimed> = [];
      const cursors = new Map<string, string>();
      let waitMs = -1;
      for (const shard of this.keys.allShards()) {
        if (claimed.length >= count) break;
        const reply = await this.claimShard(
          shard,
          consumer,
          queues,
          count - claimed.length,
          options.cursors === true,
          options.nowMs,
        );
        claimed.push(...reply.claimed);
        if (reply.waitMs >= 0) waitMs = waitMs < 0 ? reply.waitMs : Math.min(waitMs, reply.waitMs);
        reply.streams.forEach((stream, i) => {
          const id = reply.cursors[i];
          if (id !== undefined) cursors.set(stream, id);
        });
      }
      this.lastWaitMs = waitMs;
      return { claimed, waitMs, cursors };
    });
  }

  heldBackMs(): number | undefined {
    if (this.lastWaitMs < 0) return undefined;
    return this.lastWaitMs === 0 ? HELD_BACK_POLL_MS : this.lastWaitMs;
  }

  /** Work streams of these queues in one shard, highest priority level first. */
  private streamsOf(shard: number, queues: ReadonlyArray<string>): Array<string> {
    return LEVELS_HIGH_FIRST.flatMap((level) => queues.map((queue) => this.keys.work(shard, queue, level)));
  }

  ensureGroups(queues: ReadonlyArray<string>): Promise<void> {
    return guarded(async () => {
      const pipelines = new ShardPipelines(this.client);
      for (const shard of this.keys.allShards())
        for (const stream of this.streamsOf(shard, queues))
          pipelines.on(shard, (p) => p.xgroup("CREATE", stream, CONSUMER_GROUP, "0", "MKSTREAM"));
      const replies = await pipelines.settle();
      for (const [error] of replies) if (error && !String(error.message).includes("BUSYGROUP")) throw error;
    });
  }

  async claim(
    consumer: string,
    queues: ReadonlyArray<string>,
    count: number,
  ): Promise<ReadonlyArray<Claimed>> {
    return (await this.claimWithWait(consumer, queues, count)).claimed;
  }

  /**
   * Wait for work through the same claim as `claim` (ADR 0039): a claim that also returns the
   * streams' cursors, atomically, then a blocking XREAD (which delivers nothing) from those
   * cursors, then a claim. A wake-up by a bulk of several levels is so served highest first (or
   * by the fairness weights), within the rate limits — a blocking XREADGROUP would hand over
   * whichever stream changed first, past every limit. When a limit held work back, the wait
   * ends when it allows a start again.
   */
  async waitForWork(
    consumer: string,
    queues: ReadonlyArray<string>,
    blockMs: number,
    count = 1,
  ): Promise<ReadonlyArray<Claimed>> {
    const blocking = this.blocking;
    if (blocking === undefined) throw new Error("waitForWork needs a blocking connection");
    if (blocking.isCluster) return this.pollForWork(consumer, queues, blockMs, count);
    const first = await this.claimWithWait(consumer, queues, count, { cursors: true });
    if (first.claimed.length > 0) return first.claimed;
    const heldBackMs = first.waitMs < 0 ? undefined : first.waitMs === 0 ? HELD_BACK_POLL_MS : first.waitMs;
    if (heldBackMs !== undefined && (blockMs === 0 || heldBackMs < blockMs)) {
      // A limit allows a start again sooner than the wait would end: a timer, because Redis ends
      // a blocked read's timeout only at its next cron tick (up to 100 ms late at hz 10).
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, heldBackMs)));
    } else {
      const streams = [...first.cursors.keys()];
      await guarded(() =>
        blocking.xread(
          "COUNT",
          1,
          "BLOCK",
          blockMs,
          "STREAMS",
          ...streams,
          ...streams.map((s) => first.cursors.get(s) ?? "$"),
        ),
      );
    }
    return this.claim(consumer, queues, count);
  }

  /**
   * A Redis Cluster: a blocking read may name keys of one slot only, so an idle worker claims
   * (claim.lua, shard by shard, highest priority first) every CLUSTER_POLL_MS until something
   * comes or `blockMs` has passed (ADR 0047: the cost of an idle poll).
   */
  private async pollForWork(
    consumer: string,
    queues: ReadonlyArray<string>,
    blockMs: number,
    count: number,
  ): Promise<ReadonlyArray<Claimed>> {
    const deadline = Date.now() + blockMs;
    for (;;) {
      const claimed = await this.claim(consumer, queues, count);
      if (claimed.length > 0 || Date.now() >= deadline) return claimed;
      await new Promise((resolve) => setTimeout(resolve, Math.min(CLUSTER_POLL_MS, deadline - Date.now())));
    }
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
          if (fields) found.push({ stream, entryId, jobId: requiredStreamField(fields, "jobId") });
      }
      // A reclaimed entry was delivered before: its job may have moved on since it was queued, so
      // the head is read rather than taken from the entry.
      const heads = await readHeads(
        this.client,
        this.keys,
        found.map((f) => f.jobId),
      );
      return found.map((f, i) => ({ ...f, head: heads[i] ?? null }));
    });
  }

  discard(consumer: string, entry: WorkEntry): Promise<boolean> {
    return guarded(
      async () =>
        (await this.client.docketDiscard(1, entry.stream, CONSUMER_GROUP, consumer, entry.entryId)) === 1,
    );
  }

  release(consumer: string, entries: ReadonlyArray<WorkEntry>, idleMs: number): Promise<void> {
    return guarded(async () => {
      const byStream = new Map<string, Array<string>>();
      for (const { stream, entryId } of entries)
        byStream.set(stream, [...(byStream.get(stream) ?? []), entryId]);
      await Promise.all(
        [...byStream].map(([stream, ids]) =>
          this.client.docketRelease(1, stream, CONSUMER_GROUP, consumer, idleMs, ...ids),
        ),
      );
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
      const totals = new Map(queues.map((q) => [q, { queue: q, waiting: 0, pending: 0 }]));
      for (const cell of await this.cells(queues)) {
        const total = totals.get(cell.queue);
        if (total === undefined) continue;
        total.pending += cell.pending;
        total.waiting += cell.waiting;
      }
      return [...totals.values()];
    });
  }

  depthCells(queues: ReadonlyArray<string>): Promise<ReadonlyArray<DepthCell>> {
    return guarded(() => this.cells(queues));
  }

  /** Waiting and pending entries of each queue on each shard (all priority levels), in one round trip. */
  private async cells(queues: ReadonlyArray<string>): Promise<ReadonlyArray<DepthCell>> {
    const pipelines = new ShardPipelines(this.client);
    const cells: Array<{ queue: string; shard: number }> = [];
    for (const queue of queues)
      for (const shard of this.keys.allShards())
        for (const level of LEVELS_HIGH_FIRST) {
          const stream = this.keys.work(shard, queue, level);
          cells.push({ queue, shard });
          pipelines.on(shard, (p) => p.xlen(stream).xpending(stream, CONSUMER_GROUP));
        }
    const replies = await pipelines.settle();
    return cells.map((cell, i) => {
      const [lenError, length] = replies[2 * i] ?? [null, 0];
      const [, pendingReply] = replies[2 * i + 1] ?? [null, null];
      if (lenError) throw lenError;
      const pending = Array.isArray(pendingReply) ? Number(pendingReply[0] ?? 0) : 0;
      return { ...cell, waiting: Number(length) - pending, pending };
    });
  }
}
