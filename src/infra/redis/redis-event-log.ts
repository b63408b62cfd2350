/**
 * The shard logs as the read side sees them (the EventLog port): ranges with XRANGE, one
 * blocking XREAD over every shard for tailing, and each shard's last id for lag.
 *
 * Log entries are untrusted input: each is decoded with the domain's envelope schema and must
 * agree with the entry's own `jobId` and `seq` fields. An entry that does not decode comes back
 * as an InvalidLogEntry (shard, entry id, what is wrong, its digest) in its place, so one bad
 * entry never fails the whole read: the projector decides to halt on it, or to skip it when an
 * operator quarantined it (ADR 0019).
 *
 * Across tiers (ADR 0034): what the archiver trimmed from a shard log is read from the archive
 * (tiered-log.ts), so a projector far behind, or rebuilding from the start, reads the whole log.
 *
 * Lifetime: the caller owns both connections; `close()` disconnects them.
 */
import * as Result from "effect/Result";
import { decodeEnvelope } from "../../domain/index.ts";
import { entryDigest, type EventLog, type InvalidLogEntry, type LogRecord } from "../../engine/read/index.ts";
import type { ArchivedLog } from "../../engine/read/ports.ts";
import { compareStreamIds } from "../../domain/index.ts";
import { TimeSlice } from "../../engine/shared/index.ts";
import { CLUSTER_POLL_MS, guarded, type RedisClient } from "./connection.ts";
import { ShardPipelines } from "./shard-pipelines.ts";
import { Keys } from "./keys.ts";
import type { StreamEntries } from "./stream-entries.ts";
import { atOrBefore, TieredLog } from "./tiered-log.ts";

/** The fields are null for an entry deleted while the read ran. */
type RawEntry = StreamEntries[number];

export interface RedisEventLogOptions {
  readonly client: RedisClient;
  /** Its own connection: a blocking XREAD holds the socket for up to `blockMs`. */
  readonly blockingClient: RedisClient;
  readonly prefix: string;
  readonly shards: number;
  /** Where entries trimmed from the shard logs are read (ADR 0034). */
  readonly archive?: ArchivedLog;
}

const fieldsOf = (fields: ReadonlyArray<string>): Map<string, string> => {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string);
  return map;
};

/** Decode one raw shard log entry: its event, or why it is not one. */
export const decodeLogEntry = (shard: number, [entryId, raw]: RawEntry): LogRecord => {
  const fields = fieldsOf(raw ?? []);
  const stored = {
    jobId: fields.get("jobId") ?? null,
    seq: fields.get("seq") ?? null,
    env: fields.get("env") ?? null,
  };
  const invalid = (problem: string): InvalidLogEntry => ({
    shard,
    entryId,
    jobId: stored.jobId,
    problem,
    digest: entryDigest(stored),
  });
  if (stored.env === null) return invalid("no env field");
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored.env);
  } catch (error) {
    return invalid(`env is not JSON (${(error as Error).message})`);
  }
  const decoded = decodeEnvelope(parsed);
  if (Result.isFailure(decoded)) return invalid(decoded.failure);
  const envelope = decoded.success;
  if (stored.jobId !== envelope.jobId || stored.seq !== String(envelope.seq))
    return invalid(`entry fields (jobId ${stored.jobId}, seq ${stored.seq}) disagree with its envelope`);
  return { shard, entryId, envelope };
};

/**
 * Decode a read's entries, yielding to the event loop when a slice is spent: a batch of 1,000
 * envelopes takes tens of milliseconds to decode, which the API's other requests should not
 * wait for in one piece.
 */
const decodeAll = async (
  shard: number,
  raw: ReadonlyArray<RawEntry>,
  slice = new TimeSlice(),
): Promise<Array<LogRecord>> => {
  const records: Array<LogRecord> = [];
  for (const [i, entry] of raw.entries()) {
    if (i % 64 === 63) await slice.yieldIfDue();
    records.push(decodeLogEntry(shard, entry));
  }
  return records;
};

/** What one tail read found: new entries per log key, the entry at each position, archived-through ids. */
interface TailReads {
  readonly reply: Array<[string, Array<RawEntry>]> | null;
  readonly positions: ReadonlyArray<Array<RawEntry>>;
  readonly throughs: ReadonlyArray<string | null>;
}

export class RedisEventLog implements EventLog {
  readonly shards: number;
  private readonly keys: Keys;
  private readonly client: RedisClient;
  private readonly blocking: RedisClient;
  private readonly tiered: TieredLog;
  /** Each shard's archived-through id as last seen: a tail from before it reads the archive first. */
  private readonly archived = new Map<number, string>();

  private connectionCount = 0;

  constructor(options: RedisEventLogOptions) {
    this.client = options.client;
    this.blocking = options.blockingClient;
    this.keys = new Keys(options.prefix, options.shards);
    this.shards = options.shards;
    this.tiered = new TieredLog(this.client, this.keys, options.archive);
    // ioredis resends a command cut off by a reconnect, so a restart can pass unnoticed by the
    // caller; counting "ready" events is how it learns the server may have changed under it.
    for (const client of [this.client, this.blocking]) {
      if (client.status === "ready") this.connectionCount += 1;
      client.on("ready", () => {
        this.connectionCount += 1;
      });
    }
  }

  connections(): number {
    return this.connectionCount;
  }

  read(shard: number, afterId: string, count: number): Promise<ReadonlyArray<LogRecord>> {
    return guarded(async () => {
      // Strictly after the checkpoint, from the archive for what was trimmed.
      const raw = await this.tiered.after(shard, afterId, count);
      return decodeAll(shard, raw);
    });
  }

  entryAt(shard: number, entryId: string): Promise<LogRecord | null> {
    return guarded(async () => {
      const [raw] = (await this.client.xrange(this.keys.log(shard), entryId, entryId)) as Array<RawEntry>;
      if (raw !== undefined) return decodeLogEntry(shard, raw);
      return this.archivedEntryAt(shard, entryId, await this.tiered.archivedThrough(shard));
    });
  }

  /** The entry with this id from the archive, when it was trimmed from the log (else null). */
  private async archivedEntryAt(
    shard: number,
    entryId: string,
    archived: string | null,
  ): Promise<LogRecord | null> {
    const fields = (await this.tiered.archivedEntries(shard, [entryId], archived)).get(entryId);
    return fields === undefined ? null : decodeLogEntry(shard, [entryId, [...fields]]);
  }

  tail(
    after: ReadonlyArray<{ readonly shard: number; readonly entryId: string }>,
    count: number,
    blockMs: number,
  ): Promise<{ readonly entries: ReadonlyArray<LogRecord>; readonly at: ReadonlyArray<LogRecord | null> }> {
    return guarded(async () => {
      if (after.length === 0) return { entries: [], at: [] };
      // A position before what was trimmed: read on from the archive, without blocking.
      if (after.some(({ shard, entryId }) => this.behindArchive(shard, entryId)))
        return this.catchUp(after, count);
      const keys = after.map(({ shard }) => this.keys.log(shard));
      const { reply, positions, throughs } = this.blocking.isCluster
        ? await this.pollEach(after, count, blockMs)
        : await this.blockOnAll(after, count, blockMs);
      after.forEach(({ shard }, i) => {
        const through = throughs[i] ?? null;
        if (through !== null) this.archived.set(shard, through);
      });
      // Trimmed while we blocked: what XREAD skipped is in the archive.
      if (after.some(({ shard, entryId }) => this.behindArchive(shard, entryId)))
        return this.catchUp(after, count);
      const entries: Array<LogRecord> = [];
      const slice = new TimeSlice();
      for (const [key, raw] of reply ?? [])
        entries.push(...(await decodeAll(after[keys.indexOf(key)]?.shard ?? -1, raw, slice)));
      const at = await Promise.all(
        after.map(async ({ shard, entryId }, i) => {
          const [raw] = positions[i] ?? [];
          if (raw !== undefined) return decodeLogEntry(shard, raw);
          // A position the archiver has just trimmed (the reader was caught up to it): the entry
          // is in the archive, and what follows it is in the log (trimming removes a prefix).
          const through = this.archived.get(shard) ?? null;
          return through !== null && atOrBefore(entryId, through)
            ? this.archivedEntryAt(shard, entryId, through)
            : null;
        }),
      );
      return { entries, at };
    });
  }

  /**
   * One Redis: one blocking XREAD over every shard's log, then (on the same connection, so after
   * it returns) the entry at each position and each archived-through id, in one round trip.
   */
  private async blockOnAll(
    after: ReadonlyArray<{ readonly shard: number; readonly entryId: string }>,
    count: number,
    blockMs: number,
  ): Promise<TailReads> {
    const keys = after.map(({ shard }) => this.keys.log(shard));
    const ids = after.map(({ entryId }) => entryId);
    const pipeline = this.blocking
      .pipeline()
      .xread("COUNT", count, "BLOCK", blockMs, "STREAMS", ...keys, ...ids);
    for (const [i, key] of keys.entries()) pipeline.xrange(key, ids[i] as string, ids[i] as string);
    // Read after the entries: a trim that ran before them has moved these (trim.lua).
    for (const { shard } of after) pipeline.get(this.keys.archivedThrough(shard));
    const results = ((await pipeline.exec()) ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    return {
      reply: results[0] as TailReads["reply"],
      positions: after.map((_, i) => (results[1 + i] ?? []) as Array<RawEntry>),
      throughs: after.map((_, i) => results[1 + after.length + i] as string | null),
    };
  }

  /**
   * A Redis Cluster: a blocking read may name keys of one slot only, and a blocked connection
   * holds up every other command to its node, so each shard's log is read without blocking (one
   * pipeline per shard, all at once) and, while none has anything new, read again every
   * CLUSTER_POLL_MS until `blockMs` has passed (ADR 0047: the cost of an idle poll).
   */
  private async pollEach(
    after: ReadonlyArray<{ readonly shard: number; readonly entryId: string }>,
    count: number,
    blockMs: number,
  ): Promise<TailReads> {
    const deadline = Date.now() + blockMs;
    for (;;) {
      const pipelines = new ShardPipelines(this.blocking);
      for (const { shard, entryId } of after)
        pipelines.on(shard, (p) =>
          p
            .xread("COUNT", count, "STREAMS", this.keys.log(shard), entryId)
            .xrange(this.keys.log(shard), entryId, entryId)
            .get(this.keys.archivedThrough(shard)),
        );
      const results = await pipelines.exec();
      const reads = after.flatMap((_, i) => (results[3 * i] ?? []) as NonNullable<TailReads["reply"]>);
      if (reads.length > 0 || Date.now() >= deadline)
        return {
          reply: reads,
          positions: after.map((_, i) => (results[3 * i + 1] ?? []) as Array<RawEntry>),
          throughs: after.map((_, i) => results[3 * i + 2] as string | null),
        };
      await new Promise((resolve) => setTimeout(resolve, Math.min(CLUSTER_POLL_MS, deadline - Date.now())));
    }
  }

  /** Is this position before the shard's archived-through id as last seen? */
  private behindArchive(shard: number, entryId: string): boolean {
    const through = this.archived.get(shard);
    return through !== undefined && entryId !== through && atOrBefore(entryId, through);
  }

  /** A tail's answer for positions behind the archive: the next entries of every shard, and `at`. */
  private async catchUp(
    after: ReadonlyArray<{ readonly shard: number; readonly entryId: string }>,
    count: number,
  ): Promise<{ readonly entries: ReadonlyArray<LogRecord>; readonly at: ReadonlyArray<LogRecord | null> }> {
    const entries: Array<LogRecord> = [];
    const at: Array<LogRecord | null> = [];
    const slice = new TimeSlice();
    for (const { shard, entryId } of after) {
      // The position first: it vouches that what follows continues it (the projector's check).
      at.push(entryId === "0-0" ? null : await this.entryAt(shard, entryId));
      const raw = await this.tiered.after(shard, entryId, count);
      entries.push(...(await decodeAll(shard, raw, slice)));
      const through = await this.tiered.archivedThrough(shard);
      if (through !== null) this.archived.set(shard, through);
      // Each shard's entries are in order; the projector merges shards by their own positions.
    }
    return { entries, at };
  }

  lastIds(): Promise<ReadonlyArray<{ readonly shard: number; readonly entryId: string }>> {
    return guarded(async () => {
      const pipelines = new ShardPipelines(this.client);
      for (const shard of this.keys.allShards())
        pipelines.on(shard, (p) =>
          p.xrevrange(this.keys.log(shard), "+", "-", "COUNT", 1).get(this.keys.archivedThrough(shard)),
        );
      const replies = await pipelines.exec();
      return this.keys.allShards().map((shard) => {
        const entries = replies[2 * shard] ?? [];
        const through = replies[2 * shard + 1] ?? null;
        const last = (entries as Array<RawEntry>)[0]?.[0] ?? "0-0";
        // A log trimmed to nothing ends where the archive does.
        const archived = typeof through === "string" ? through : "0-0";
        return { shard, entryId: compareStreamIds(last, archived) >= 0 ? last : archived };
      });
    });
  }
}
