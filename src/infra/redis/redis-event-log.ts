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
 * Lifetime: the caller owns both connections; `close()` disconnects them.
 */
import type { Redis } from "ioredis";
import * as Result from "effect/Result";
import { decodeEnvelope } from "../../domain/index.ts";
import { entryDigest, type EventLog, type InvalidLogEntry, type LogRecord } from "../../engine/read/index.ts";
import { TimeSlice } from "../../engine/shared/index.ts";
import { guarded } from "./connection.ts";
import { Keys } from "./keys.ts";
import { entriesAfter, type StreamEntries } from "./stream-entries.ts";

/** The fields are null for an entry deleted while the read ran. */
type RawEntry = StreamEntries[number];

export interface RedisEventLogOptions {
  readonly client: Redis;
  /** Its own connection: a blocking XREAD holds the socket for up to `blockMs`. */
  readonly blockingClient: Redis;
  readonly prefix: string;
  readonly shards: number;
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

export class RedisEventLog implements EventLog {
  readonly shards: number;
  private readonly keys: Keys;
  private readonly client: Redis;
  private readonly blocking: Redis;

  private connectionCount = 0;

  constructor(options: RedisEventLogOptions) {
    this.client = options.client;
    this.blocking = options.blockingClient;
    this.keys = new Keys(options.prefix, options.shards);
    this.shards = options.shards;
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
      // Strictly after the checkpoint.
      const raw = await entriesAfter(this.client, this.keys.log(shard), afterId, count);
      return decodeAll(shard, raw);
    });
  }

  entryAt(shard: number, entryId: string): Promise<LogRecord | null> {
    return guarded(async () => {
      const [raw] = (await this.client.xrange(this.keys.log(shard), entryId, entryId)) as Array<RawEntry>;
      return raw === undefined ? null : decodeLogEntry(shard, raw);
    });
  }

  tail(
    after: ReadonlyArray<{ readonly shard: number; readonly entryId: string }>,
    count: number,
    blockMs: number,
  ): Promise<{ readonly entries: ReadonlyArray<LogRecord>; readonly at: ReadonlyArray<LogRecord | null> }> {
    return guarded(async () => {
      if (after.length === 0) return { entries: [], at: [] };
      const keys = after.map(({ shard }) => this.keys.log(shard));
      const ids = after.map(({ entryId }) => entryId);
      // One connection runs its commands in order: each XRANGE runs once the XREAD has returned.
      const pipeline = this.blocking
        .pipeline()
        .xread("COUNT", count, "BLOCK", blockMs, "STREAMS", ...keys, ...ids);
      for (const [i, key] of keys.entries()) pipeline.xrange(key, ids[i] as string, ids[i] as string);
      const replies = (await pipeline.exec()) ?? [];
      const results = replies.map(([error, value]) => {
        if (error) throw error;
        return value;
      });
      const reply = results[0] as Array<[string, Array<RawEntry>]> | null;
      const entries: Array<LogRecord> = [];
      const slice = new TimeSlice();
      for (const [key, raw] of reply ?? [])
        entries.push(...(await decodeAll(after[keys.indexOf(key)]?.shard ?? -1, raw, slice)));
      const at = after.map(({ shard }, i) => {
        const [raw] = (results[i + 1] ?? []) as Array<RawEntry>;
        return raw === undefined ? null : decodeLogEntry(shard, raw);
      });
      return { entries, at };
    });
  }

  lastIds(): Promise<ReadonlyArray<{ readonly shard: number; readonly entryId: string }>> {
    return guarded(async () => {
      const pipeline = this.client.pipeline();
      for (const shard of this.keys.allShards())
        pipeline.xrevrange(this.keys.log(shard), "+", "-", "COUNT", 1);
      const replies = (await pipeline.exec()) ?? [];
      return this.keys.allShards().map((shard) => {
        const [error, entries] = replies[shard] ?? [null, []];
        if (error) throw error;
        return { shard, entryId: (entries as Array<RawEntry>)[0]?.[0] ?? "0-0" };
      });
    });
  }
}
