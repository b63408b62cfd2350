/**
 * Retention (ADR 0034): finished jobs leave Redis, the hot tier, once their retention has run
 * out — `completed` and `cancelled` jobs after the deployment's retention for that end state,
 * dead letters after theirs, any job with its own `retainMs` after that — or when an operator
 * purges them. Leaving is recorded, never silent, and never loses history:
 *
 * 1. `recordDue` (or `purge`) appends JobEvicted to each such job through the one write path:
 *    the job's last event, naming why and the rule applied, chained and signed like any other.
 * 2. `evictArchived` deletes a recorded job's head, index and idempotency key only once the
 *    archive holds its whole history, JobEvicted included (evict.lua checks the job's last
 *    entry against the shard's archived-through id). Its history is then read from the archive.
 *
 * Both run in the archiver holding the lease, after each pass (archiver.ts); purge runs where an
 * operator asks. An idempotency key outlives its job's stay in Redis by `idempotencyKeysMs`: a
 * repeat in that window still answers with the (archived) job instead of making a second one, so
 * a short retention does not shorten the window a retrying client or a scheduler (whose ticks are
 * exactly once through their keys, ADR 0037) relies on.
 */
import type { Actor, EvictionReason, JobStatus } from "../../domain/index.ts";
import type { Clock } from "../shared/index.ts";
import { type EventStore, isWriteResult, type JobWriter } from "../write/index.ts";
import type { RetentionIndex } from "./ports.ts";

/** How long finished jobs stay in Redis, by end state (ms after they ended). */
export interface RetentionPolicy {
  readonly completedMs: number;
  readonly deadLetterMs: number;
  readonly cancelledMs: number;
  /**
   * How long a job's idempotency key still answers with it after the job has left Redis (ms;
   * default IDEMPOTENCY_KEYS_MS; 0: the key leaves with the job).
   */
  readonly idempotencyKeysMs?: number;
}

/** A day: what clients retrying a submit, and schedulers taking a tick up again, need at most. */
export const IDEMPOTENCY_KEYS_MS = 24 * 3_600_000;

/** The defaults the seeds' users know from RQ: results a day, failures a week. */
export const DEFAULT_RETENTION: RetentionPolicy = {
  completedMs: 24 * 3_600_000,
  deadLetterMs: 7 * 24 * 3_600_000,
  cancelledMs: 24 * 3_600_000,
  idempotencyKeysMs: IDEMPOTENCY_KEYS_MS,
};

export type PurgeableStatus = Extract<JobStatus, "completed" | "dead_letter" | "cancelled">;

export interface RetentionOptions {
  readonly index: RetentionIndex;
  readonly writer: JobWriter;
  /** The jobs' heads are read once per batch (the writer reloads on a conflict). */
  readonly store: Pick<EventStore, "loadHeads">;
  readonly clock: Clock;
  readonly policy: RetentionPolicy;
  /** Jobs handled per shard, rule and step in one call (default 1,000). */
  readonly batch?: number;
  /** Evictions recorded per shard and rule in one pass at most (default 50,000). */
  readonly maxPerPass?: number;
}

const SYSTEM: Actor = { kind: "system", id: "retention" };

const iso = (ms: number): string => new Date(ms).toISOString();

export class Retention {
  private readonly batch: number;
  private readonly maxPerPass: number;

  constructor(private readonly options: RetentionOptions) {
    this.batch = options.batch ?? 1_000;
    this.maxPerPass = options.maxPerPass ?? 50_000;
  }

  /** Record JobEvicted for every job whose retention ran out (a batch per shard and rule). */
  async recordDue(): Promise<number> {
    const { index, clock, policy } = this.options;
    const now = clock.now();
    let recorded = 0;
    for (let shard = 0; shard < index.shards; shard++) {
      const rules = [
        { rule: "completed", ms: policy.completedMs },
        { rule: "cancelled", ms: policy.cancelledMs },
        { rule: "dead_letter", ms: policy.deadLetterMs },
        { rule: "own", ms: 0 },
      ] as const;
      for (const { rule, ms } of rules) {
        // Batches until the rule has no more due (bounded per pass, so the archiver seals between).
        for (let taken = 0; taken < this.maxPerPass;) {
          const ids = await index.due(shard, rule, now - ms, this.batch);
          // The rule a job's own retainMs applied is its own; the event names the deployment's.
          const written = await this.evict(shard, ids, "retention", rule === "own" ? null : ms, SYSTEM, now);
          recorded += written;
          taken += ids.length;
          if (ids.length < this.batch || written === 0) break;
        }
      }
    }
    return recorded;
  }

  /** Jobs recorded as evicted whose history the archive holds leave Redis (their keys later). */
  async evictArchived(): Promise<number> {
    const { index, policy } = this.options;
    const keysMs = policy.idempotencyKeysMs ?? IDEMPOTENCY_KEYS_MS;
    let gone = 0;
    for (let shard = 0; shard < index.shards; shard++) {
      for (;;) {
        const ids = await index.evictArchived(shard, this.batch, keysMs);
        gone += ids.length;
        if (ids.length < this.batch) break;
      }
    }
    return gone;
  }

  /**
   * An operator's purge: record JobEvicted (reason `purge`, by `actor`) for up to `limit` jobs
   * that ended in `status` at least `olderThanMs` ago, whatever their retention. They leave
   * Redis once archived, as retention's do. Returns how many were recorded.
   */
  async purge(request: {
    readonly status: PurgeableStatus;
    readonly olderThanMs: number;
    readonly actor: Actor;
    readonly limit: number;
  }): Promise<number> {
    const { index, clock } = this.options;
    const now = clock.now();
    let purged = 0;
    // Jobs this purge has asked to evict: an index entry it cannot take off (a head that
    // still agrees with it) must not be read again and again.
    const tried = new Set<string>();
    for (let shard = 0; shard < index.shards && purged < request.limit; shard++) {
      for (;;) {
        const want = Math.min(this.batch, request.limit - purged);
        if (want <= 0) break;
        const ids = await index.due(shard, request.status, now - request.olderThanMs, want, true);
        const fresh = ids.filter((id) => !tried.has(id));
        for (const id of fresh) tried.add(id);
        purged += await this.evict(shard, fresh, "purge", request.olderThanMs, request.actor, now);
        // A batch that recorded none is not the end: another purge (or retention) may have
        // recorded those jobs first, and they left the index, as the refused ones did. Stopping
        // there answered 0 while jobs due remained behind them.
        if (ids.length < want || fresh.length === 0) break;
      }
    }
    return purged;
  }

  /**
   * Append JobEvicted to each job (pipelined). A job the machine refuses (not finished: the
   * index was stale) or that is gone leaves the retention indexes.
   */
  private async evict(
    shard: number,
    ids: ReadonlyArray<string>,
    reason: EvictionReason,
    ruleMs: number | null,
    actor: Actor,
    now: number,
  ): Promise<number> {
    if (ids.length === 0) return 0;
    const { writer, index, store } = this.options;
    const heads = await store.loadHeads(ids);
    const items = heads.flatMap((head, i) => {
      if (head === null) return [];
      const olderThanMs = ruleMs ?? head.state.context.retainMs ?? 0;
      return [
        {
          intent: {
            jobId: ids[i] as string,
            command: () => ({ type: "EvictJob" as const, at: iso(now), actor, reason, olderThanMs }),
          },
          known: head,
        },
      ];
    });
    const results = await writer.writeMany(items);
    let recorded = 0;
    // Jobs that are gone, or that the machine refuses (not finished: a stale index entry).
    const stale = ids.filter((_, i) => heads[i] === null);
    results.forEach((result, i) => {
      if (isWriteResult(result)) {
        if (result._tag === "Written") recorded += 1;
        return;
      }
      const jobId = items[i]?.intent.jobId;
      const tag = (result as { _tag?: string })._tag;
      if (jobId !== undefined && (tag === "CommandRefused" || tag === "JobNotFound")) stale.push(jobId);
    });
    await index.forget(shard, stale);
    return recorded;
  }
}
