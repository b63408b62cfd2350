/**
 * The Redis implementation of the engine's EventStore port: job heads, the compare-and-append
 * (append.lua, ADR 0005/0011) and job histories.
 *
 * Layout (keys.ts): per shard a head hash and a history index per job, one shard log holding
 * every event once (ADR 0027: the index lists the job's log entry ids; history.lua reads both);
 * append.lua also applies a transition's queue effects (work streams, delayed and dead-letter
 * sets), which the work queue (redis-work-queue.ts) then reads.
 *
 * Lifetime: the caller owns the connection.
 */
import type { Envelope } from "../../domain/index.ts";
import type { ArchivedLog } from "../../engine/read/ports.ts";
import type {
  AppendOutcome,
  AppendRequest,
  EventStore,
  FlowAppendOutcome,
  FlowStore,
  StoredHead,
} from "../../engine/write/ports.ts";
import { APPEND_KEYS, appendArguments, decodeAppendReply } from "./append-call.ts";
import { type RedisClient, guarded } from "./connection.ts";
import { readStoredHistories } from "./job-history.ts";
import { readHeads } from "./job-heads.ts";
import { Keys } from "./keys.ts";
import { type ScriptClient, type ScriptPipeline, withScripts } from "./scripts.ts";
import { DurableWrites } from "./durable-writes.ts";
import { ASYNC, type Durability } from "./durability.ts";
import { ShardPipelines } from "./shard-pipelines.ts";
import { streamField } from "./stream-entries.ts";
import { TieredLog } from "./tiered-log.ts";

export interface RedisEventStoreOptions {
  readonly client: RedisClient;
  /** Key prefix (default "docket"). */
  readonly prefix?: string;
  /** Number of shards (default 1). */
  readonly shards?: number;
  /** Where entries trimmed from the shard logs are read (ADR 0034); none: reading one fails. */
  readonly archive?: ArchivedLog;
  /**
   * How long appends wait to be coalesced into one script call (see `append`): "tick" (default)
   * sends what was requested in the same tick; "turn" waits for the end of this turn of the event
   * loop, and `appendMany` joins the wait too. A worker's lanes use "turn", so the outcomes of the
   * jobs that finished in a turn and the starts of the jobs that take their slots go out in one
   * call (ADR 0033).
   */
  readonly coalesce?: "tick" | "turn";
  /** When an append counts as done (durability.ts; default async: once the primary has it). */
  readonly durability?: Durability;
}

/**
 * Jobs per append.lua call: large enough that a bulk submit or a worker's batch is a handful of
 * commands, small enough that one call does not hold Redis for long (scripts block the server:
 * 32 creations take about 1.5 ms; at 100 a bulk submit held the workers' commands up to 4 ms
 * per call, and in the end-to-end benchmark jobs waited longer for no gain in throughput).
 */
const APPEND_CHUNK = 32;

/**
 * Jobs per call for a worker's lane ("turn"): its calls carry a batch's outcomes and the next
 * batch's starts, lighter writes than creations (no idempotency key, no work entry), so twice as
 * many fit in about the same time; at concurrency 50 (25 per lane) a turn's writes are one call.
 */
const TURN_CHUNK = 64;

interface QueuedAppend {
  readonly request: AppendRequest;
  readonly resolve: (outcome: AppendOutcome) => void;
  readonly reject: (error: unknown) => void;
}

export class RedisEventStore implements EventStore, FlowStore {
  readonly keys: Keys;
  private readonly client: RedisClient & ScriptClient;
  private readonly tiered: TieredLog;
  /** Appends waiting for this tick's (or turn's) flush (see append). */
  private queued: Array<QueuedAppend> = [];
  private readonly perTurn: boolean;
  private readonly chunk: number;
  private readonly durable: DurableWrites;

  constructor(options: RedisEventStoreOptions) {
    this.client = withScripts(options.client);
    this.keys = new Keys(options.prefix ?? "docket", options.shards ?? 1);
    this.tiered = new TieredLog(this.client, this.keys, options.archive);
    this.perTurn = options.coalesce === "turn";
    this.chunk = this.perTurn ? TURN_CHUNK : APPEND_CHUNK;
    this.durable = new DurableWrites(this.client, options.durability ?? ASYNC);
  }

  /** Checks the server gives the durability asked for (DurableWrites.prepare), before any write. */
  prepare(): Promise<void> {
    return guarded(() => this.durable.prepare());
  }

  async loadHead(jobId: string): Promise<StoredHead | null> {
    const [head] = await this.loadHeads([jobId]);
    return head ?? null;
  }

  loadHeads(jobIds: ReadonlyArray<string>): Promise<ReadonlyArray<StoredHead | null>> {
    return guarded(() => readHeads(this.client, this.keys, jobIds));
  }

  /**
   * One compare-and-append. Appends requested in the same tick are coalesced into one script
   * call per shard (append.lua takes many jobs), so concurrent writers — a worker's outcomes —
   * cost one command between them instead of one each (ADR 0011).
   */
  append(request: AppendRequest): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queued.push({ request, resolve, reject });
      if (this.queued.length === 1)
        if (this.perTurn) setImmediate(() => this.flushQueued());
        else process.nextTick(() => this.flushQueued());
    });
  }

  private flushQueued(): void {
    const batch = this.queued;
    this.queued = [];
    this.sendMany(batch.map((q) => q.request)).then(
      (outcomes) => batch.forEach((q, i) => q.resolve(outcomes[i] as AppendOutcome)),
      (error: unknown) => batch.forEach((q) => q.reject(error)),
    );
  }

  /**
   * Many appends: one script call per shard and chunk (several calls share one pipelined
   * write); each job is checked on its own.
   */
  appendMany(requests: ReadonlyArray<AppendRequest>): Promise<ReadonlyArray<AppendOutcome>> {
    return this.perTurn ? Promise.all(requests.map((r) => this.append(r))) : this.sendMany(requests);
  }

  /** Many appends now: one script call per shard and chunk, all in one pipelined write. */
  private sendMany(requests: ReadonlyArray<AppendRequest>): Promise<ReadonlyArray<AppendOutcome>> {
    return guarded(async () => {
      if (requests.length === 0) return [];
      const byShard = new Map<number, Array<number>>();
      requests.forEach((request, index) => {
        const shard = this.keys.shardOf(request.jobId);
        const indices = byShard.get(shard);
        if (indices === undefined) byShard.set(shard, [index]);
        else indices.push(index);
      });
      const calls: Array<{
        shard: number;
        indices: ReadonlyArray<number>;
        keysAndArgs: Array<string | number>;
      }> = [];
      for (const [shard, indices] of byShard)
        for (let from = 0; from < indices.length; from += this.chunk) {
          const chunk = indices.slice(from, from + this.chunk);
          calls.push({
            shard,
            indices: chunk,
            keysAndArgs: appendArguments(
              this.keys,
              shard,
              chunk.map((i) => requests[i] as AppendRequest),
            ),
          });
        }
      await this.durable.prepare();
      let replies: ReadonlyArray<unknown>;
      if (calls.length === 1 && !this.durable.waits) {
        const [call] = calls as [(typeof calls)[number]];
        replies = [await this.client.docketAppend(APPEND_KEYS, call.keysAndArgs)];
      } else {
        const pipelines = new ShardPipelines(this.client);
        for (const call of calls)
          pipelines.on(call.shard, (p) =>
            (p as unknown as ScriptPipeline).docketAppend(APPEND_KEYS, call.keysAndArgs),
          );
        // Acknowledged only once replicated or fsynced, as DOCKET_DURABILITY asks.
        const waits = this.durable.addTo(pipelines);
        replies = await pipelines.exec();
        this.durable.check(replies, waits);
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
   * A flow's appends, all or nothing (ADR 0042): one append.lua call with a negative job count,
   * which checks every job before it writes any. The jobs must be distinct and of one shard.
   */
  appendAll(requests: ReadonlyArray<AppendRequest>): Promise<FlowAppendOutcome> {
    return guarded(async () => {
      const first = requests[0];
      if (first === undefined) return { _tag: "Applied" as const };
      const shard = this.keys.shardOf(first.jobId);
      if (requests.some((r) => this.keys.shardOf(r.jobId) !== shard))
        throw new RangeError("an all-or-nothing append must keep to one shard");
      const args = appendArguments(this.keys, shard, requests);
      // ARGV[2] (after the 3 keys and the group): the job count, negative for all or nothing.
      args[APPEND_KEYS + 1] = -requests.length;
      await this.durable.prepare();
      let flat: Array<number | string>;
      if (!this.durable.waits)
        flat = (await this.client.docketAppend(APPEND_KEYS, args)) as Array<number | string>;
      else {
        const pipelines = new ShardPipelines(this.client);
        pipelines.on(shard, (p) => (p as unknown as ScriptPipeline).docketAppend(APPEND_KEYS, args));
        const waits = this.durable.addTo(pipelines);
        const replies = await pipelines.exec();
        this.durable.check(replies, waits);
        flat = replies[0] as Array<number | string>;
      }
      for (let index = 0; index < requests.length; index++) {
        const code = flat[2 * index] as number;
        if (code !== 1 && code !== -7)
          return {
            _tag: "Refused" as const,
            index,
            outcome: decodeAppendReply(code, String(flat[2 * index + 1])),
          };
      }
      return { _tag: "Applied" as const };
    });
  }

  async readEvents(jobId: string): Promise<ReadonlyArray<Envelope>> {
    const [events] = await this.readEventsMany([jobId]);
    return events ?? [];
  }

  readEventsMany(jobIds: ReadonlyArray<string>): Promise<ReadonlyArray<ReadonlyArray<Envelope>>> {
    return guarded(async () =>
      (await readStoredHistories(this.client, this.keys, jobIds, this.tiered)).map((entries, j) =>
        entries.map(({ entryId, fields }) => {
          const env = streamField(fields, "env");
          if (env === null)
            throw new Error(
              `job ${jobIds[j]}'s history names shard-log entry ${entryId}, which neither the log nor the archive holds`,
            );
          return JSON.parse(env) as Envelope;
        }),
      ),
    );
  }
}
