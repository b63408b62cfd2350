/**
 * Every Redis key Docket uses, built in one place, and the names the adapters share with the
 * scripts (the consumer group). All keys of a shard share the hash tag `{<shard>}`, so a shard's
 * keys live in one Redis Cluster slot and one Lua script may touch them all; the prefix keeps
 * tenants and test runs apart.
 *
 * append.lua builds the per-job keys (head, history, work stream, idempotency key) itself, from
 * `shardTag` and the same shapes as below (ADR 0013), and history.lua the history key: change a
 * shape in all three places. Which tag a shard carries is shard-tags.ts's choice: `{0}` for a
 * single shard, tags spread over Redis Cluster's slots for more.
 *
 * There is one storage layout, this one: no key or field of an earlier one is read (ADR 0023).
 */
import { PRIORITY_LEVELS, type Priority } from "../../domain/index.ts";
import { shardOf } from "../../engine/write/index.ts";
import { shardTagOf } from "./shard-tags.ts";

/** The consumer group every work stream is read by (workers are its consumers). */
export const CONSUMER_GROUP = "docket-workers";

export const LEVELS_HIGH_FIRST: ReadonlyArray<Priority> = ["critical", "high", "normal", "low"];

/** The end states retention and purges take jobs from (ADR 0034). */
export type FinishedStatus = "completed" | "cancelled" | "dead_letter";

export class Keys {
  /** Per shard, `<prefix>:{<tag>}` (shard-tags.ts: the tags spread the shards over the slots). */
  private readonly tags: Array<string> = [];

  constructor(
    readonly prefix: string,
    readonly shards: number,
  ) {}

  private tag(shard: number): string {
    return (this.tags[shard] ??= `${this.prefix}:{${shardTagOf(shard, this.shards)}}`);
  }
  /** What every key of a shard starts with; append.lua builds per-job keys from it. */
  shardTag(shard: number): string {
    return `${this.tag(shard)}:`;
  }
  head(shard: number, jobId: string): string {
    return `${this.tag(shard)}:job:${jobId}`;
  }
  headPrefix(shard: number): string {
    return `${this.tag(shard)}:job:`;
  }
  /**
   * A job's history index: a list of the ids of its shard-log entries, element i naming the entry
   * of seq i + 1 (ADR 0027: each event is stored once, in the log).
   */
  history(shard: number, jobId: string): string {
    return `${this.tag(shard)}:history:${jobId}`;
  }
  log(shard: number): string {
    return `${this.tag(shard)}:log`;
  }
  delayed(shard: number): string {
    return `${this.tag(shard)}:delayed`;
  }
  dead(shard: number): string {
    return `${this.tag(shard)}:dead`;
  }
  work(shard: number, queue: string, priority: Priority): string {
    return `${this.tag(shard)}:work:${this.workSuffix(queue, priority)}`;
  }
  /** The part of a work stream's key after `<tag>:work:` (append.lua completes it). */
  workSuffix(queue: string, priority: Priority): string {
    return `${queue}:${PRIORITY_LEVELS[priority]}`;
  }
  /**
   * The shard's quarantine records (ADR 0019): a hash from log entry id to the JSON record of an
   * operator's decision to skip that undecodable entry. Never deleted by Docket.
   */
  /**
   * What every webhook key starts with (ADR 0038): subscriptions, deliveries, their indexes and
   * the follower's cursors share the hash tag `{webhooks}`, so one script may touch them all;
   * the webhook scripts build the per-delivery keys from it.
   */
  webhooksTag(): string {
    return `${this.prefix}:{webhooks}:`;
  }
  quarantine(shard: number): string {
    return `${this.tag(shard)}:quarantine`;
  }
  /**
   * The shard's last archived entry id (ADR 0034): the log holds nothing before it that the
   * archive does not, and entries at or before it may have been trimmed. Set by trim.lua.
   */
  archivedThrough(shard: number): string {
    return `${this.tag(shard)}:archived`;
  }
  /**
   * Retention candidates (ADR 0034), written by append.lua: jobs that ended in `status` and
   * follow the deployment's retention for it, scored by end ms. A job leaves it when its
   * JobEvicted is appended (or a dead letter is retried), so the oldest entries are always ones
   * retention may take: nothing it must skip piles up at the front.
   */
  ended(shard: number, status: FinishedStatus): string {
    return `${this.tag(shard)}:ended:${status}`;
  }
  /**
   * The same for jobs with their own retainMs (which `expires` schedules), scored by end ms: what
   * a purge takes besides `ended`, whatever their retention.
   */
  endedOwn(shard: number, status: FinishedStatus): string {
    return `${this.tag(shard)}:ended-own:${status}`;
  }
  /** Jobs with their own retainMs, scored by end ms + retainMs. */
  expires(shard: number): string {
    return `${this.tag(shard)}:expires`;
  }
  /** Jobs whose JobEvicted is appended, scored by its entry's ms; evict.lua removes them. */
  evicting(shard: number): string {
    return `${this.tag(shard)}:evicting`;
  }
  /**
   * Jobs that wait for their dependencies (ADR 0042), scored by when they began to; written by
   * append.lua, read by the dependency follower.
   */
  waiting(shard: number): string {
    return `${this.tag(shard)}:waiting`;
  }
  /**
   * The jobs that named a job in `dependsOn` (ADR 0042): a set in that job's shard, written
   * before each dependent's submit.
   */
  dependents(shard: number, jobId: string): string {
    return `${this.tag(shard)}:dependents:${jobId}`;
  }
  idempotency(shard: number, key: string): string {
    return `${this.tag(shard)}:idem:${key}`;
  }
  /** Worker registry: not shard data, so it has its own tag. */
  workers(): string {
    return `${this.prefix}:{registry}:workers`;
  }
  worker(id: string): string {
    return `${this.prefix}:{registry}:worker:${id}`;
  }
  /** The Pub/Sub channel cancels are announced on (ADR 0040): a channel, not a key. */
  cancelChannel(): string {
    return `${this.prefix}:{cancels}:channel`;
  }
  /** The archiver lease (ADR 0028): not shard data, so it has its own tag, shared with its counter. */
  archiverLease(): string {
    return `${this.prefix}:{archiver}:lease`;
  }
  /** Segments archived per shard, noted by the archiver after each commit (a hint, ADR 0028). */
  archiverProgress(): string {
    return `${this.prefix}:{archiver}:archived`;
  }
  /** The archiver's fencing-token counter. */
  archiverFence(): string {
    return `${this.prefix}:{archiver}:fence`;
  }
  /**
   * A schedule's head (ADR 0037). Schedules are not shard data: they share their own tag, so
   * schedule-append.lua may touch a head, its history and the index in one call.
   */
  scheduleHead(name: string): string {
    return `${this.prefix}:{schedules}:schedule:${name}`;
  }
  /** A schedule's history: a stream of its envelopes, never trimmed. */
  scheduleEvents(name: string): string {
    return `${this.prefix}:{schedules}:schedule-events:${name}`;
  }
  /** The names of the schedules not removed. */
  scheduleIndex(): string {
    return `${this.prefix}:{schedules}:index`;
  }
  /** The shard a job's keys live in. */
  shardOf(jobId: string): number {
    return shardOf(jobId, this.shards);
  }
  allShards(): ReadonlyArray<number> {
    return Array.from({ length: this.shards }, (_, i) => i);
  }
}
