/**
 * Reading a job's own history as stored, in either layout (ADR 0015):
 *
 * - a list of envelope texts at `<p>:{s}:history:<id>`, element i being seq i + 1 (jobs whose
 *   head has `history = list`: every job created since ADR 0015);
 * - a stream of (seq, type, env) entries at `<p>:{s}:events:<id>` (jobs created before).
 *
 * Both keys are read in one pipelined round trip and whichever holds entries is the history, so
 * a reader needs no head read first. Only append.lua writes either.
 */
import type { Redis } from "ioredis";
import type { Keys } from "./keys.ts";
import { type StreamEntries, streamField } from "./stream-entries.ts";

/** One element of a job's history, as stored. Stream entries keep `seq` and `type` beside. */
export type StoredHistoryEntry =
  | { readonly layout: "list"; readonly position: number; readonly env: string }
  | {
      readonly layout: "stream";
      readonly entryId: string;
      readonly seq: string | null;
      readonly type: string | null;
      readonly env: string | null;
    };

const fromStream = ([entryId, fields]: [string, Array<string> | null]): StoredHistoryEntry => ({
  layout: "stream",
  entryId,
  seq: streamField(fields, "seq"),
  type: streamField(fields, "type"),
  env: streamField(fields, "env"),
});

const replyOf = <T>(reply: [Error | null, unknown] | undefined): T => {
  const [error, value] = reply ?? [new Error("no reply"), null];
  if (error) throw error;
  return value as T;
};

/** The whole history of a job, oldest first ([] when it has none). */
export const readStoredHistory = async (
  client: Redis,
  keys: Keys,
  shard: number,
  jobId: string,
): Promise<ReadonlyArray<StoredHistoryEntry>> => {
  const [history] = await readStoredHistories(client, keys, [{ shard, jobId }]);
  return history ?? [];
};

/** The histories of several jobs, in the order given, in one pipelined round trip. */
export const readStoredHistories = async (
  client: Redis,
  keys: Keys,
  jobs: ReadonlyArray<{ readonly shard: number; readonly jobId: string }>,
): Promise<ReadonlyArray<ReadonlyArray<StoredHistoryEntry>>> => {
  if (jobs.length === 0) return [];
  const pipeline = client.pipeline();
  for (const { shard, jobId } of jobs)
    pipeline.lrange(keys.history(shard, jobId), 0, -1).xrange(keys.events(shard, jobId), "-", "+");
  const replies = (await pipeline.exec()) ?? [];
  return jobs.map((_, j) => {
    const listed = replyOf<Array<string>>(replies[2 * j]);
    if (listed.length > 0) return listed.map((env, i) => ({ layout: "list" as const, position: i + 1, env }));
    return replyOf<StreamEntries>(replies[2 * j + 1]).map(fromStream);
  });
};

/** The last element of a job's history, or null. */
export const readLastStoredEntry = async (
  client: Redis,
  keys: Keys,
  shard: number,
  jobId: string,
): Promise<StoredHistoryEntry | null> => {
  const history = keys.history(shard, jobId);
  const replies =
    (await client
      .pipeline()
      .llen(history)
      .lindex(history, -1)
      .xrevrange(keys.events(shard, jobId), "+", "-", "COUNT", 1)
      .exec()) ?? [];
  const length = replyOf<number>(replies[0]);
  const last = replyOf<string | null>(replies[1]);
  if (length > 0 && last !== null) return { layout: "list", position: length, env: last };
  const [entry] = replyOf<StreamEntries>(replies[2]);
  return entry === undefined ? null : fromStream(entry);
};
