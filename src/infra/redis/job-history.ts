/**
 * Reading jobs' histories as stored (ADR 0027): each event is stored once, in its shard log, and
 * a job's history key `<p>:{s}:history:<id>` is the index of its log entry ids, element i naming
 * the entry of seq i + 1. history.lua reads an index and the entries it names in one round trip.
 * Shared by the event store (which decodes the envelopes) and the audit source (which hands the
 * stored fields to the auditor as they are). Only append.lua writes either.
 *
 * The tiering seam: an index element whose entry the log does not hold comes back with
 * `fields: null`. Today that means the entry was deleted (the auditor reports it missing); once
 * sealed log ranges are archived and trimmed (issue 13), the reader that meets it asks the
 * archive for that entry id instead — the index stays valid across tiers, since entry ids never
 * change.
 */
import type { Redis } from "ioredis";
import type { Keys } from "./keys.ts";
import { type ScriptClient, type ScriptPipeline, withScripts } from "./scripts.ts";

/** One element of a job's history index and the shard-log entry it names. */
export interface StoredHistoryEntry {
  /** Its position in the index, from 1 (the seq it stands for). */
  readonly position: number;
  /** The shard-log entry id the element names, as stored. */
  readonly entryId: string;
  /** The log entry's flat field list (jobId, seq, type, env), or null when the log does not hold it. */
  readonly fields: ReadonlyArray<string> | null;
}

/** history.lua's reply for one job: the index length, then {entryId, fields} per element read. */
type JobReply = [number, ...Array<[string, Array<string>]>];

/**
 * Jobs per history.lua call: a call holds Redis while it runs (one XRANGE per event), so a
 * long list of jobs is split into calls sent in one pipeline.
 */
const JOBS_PER_CALL = 64;

const entriesOf = (reply: JobReply, mode: "all" | "last"): Array<StoredHistoryEntry> => {
  const [length, ...elements] = reply;
  const first = mode === "all" ? 1 : length - elements.length + 1;
  return elements.map(([entryId, fields], i) => ({
    position: first + i,
    entryId,
    fields: fields.length === 0 ? null : fields,
  }));
};

const readIndexed = async (
  client: Redis,
  keys: Keys,
  jobIds: ReadonlyArray<string>,
  mode: "all" | "last",
): Promise<Array<Array<StoredHistoryEntry>>> => {
  if (jobIds.length === 0) return [];
  const scripts = withScripts(client);
  const calls: Array<{ shard: number; indices: Array<number> }> = [];
  const open = new Map<number, { shard: number; indices: Array<number> }>();
  jobIds.forEach((jobId, index) => {
    const shard = keys.shardOf(jobId);
    let call = open.get(shard);
    if (call === undefined || call.indices.length === JOBS_PER_CALL) {
      call = { shard, indices: [] };
      open.set(shard, call);
      calls.push(call);
    }
    call.indices.push(index);
  });
  const argsOf = (call: (typeof calls)[number]) => [
    keys.log(call.shard),
    keys.shardTag(call.shard),
    mode,
    ...call.indices.map((i) => jobIds[i] as string),
  ];
  let replies: Array<unknown>;
  // One call: a plain command, without a pipeline around it (readEvents, the audit tools).
  if (calls.length === 1)
    replies = [await scripts.docketHistory(1, argsOf(calls[0] as (typeof calls)[number]))];
  else {
    const pipeline = (client as Redis & ScriptClient).pipeline() as unknown as ScriptPipeline;
    for (const call of calls) pipeline.docketHistory(1, argsOf(call));
    replies = ((await pipeline.exec()) ?? []).map(([error, reply]) => {
      if (error) throw error;
      return reply;
    });
  }
  const out: Array<Array<StoredHistoryEntry>> = new Array(jobIds.length);
  calls.forEach((call, c) => {
    const perJob = replies[c] as Array<JobReply>;
    call.indices.forEach((index, j) => {
      out[index] = entriesOf(perJob[j] as JobReply, mode);
    });
  });
  return out;
};

/** Jobs' whole histories, in the order given, oldest event first ([] for a job without one). */
export const readStoredHistories = (
  client: Redis,
  keys: Keys,
  jobIds: ReadonlyArray<string>,
): Promise<ReadonlyArray<ReadonlyArray<StoredHistoryEntry>>> => readIndexed(client, keys, jobIds, "all");

/** The whole history of a job, oldest first ([] when it has none). */
export const readStoredHistory = async (
  client: Redis,
  keys: Keys,
  jobId: string,
): Promise<ReadonlyArray<StoredHistoryEntry>> => (await readIndexed(client, keys, [jobId], "all"))[0] ?? [];

/** The last element of a job's history, or null. */
export const readLastStoredEntry = async (
  client: Redis,
  keys: Keys,
  jobId: string,
): Promise<StoredHistoryEntry | null> => (await readIndexed(client, keys, [jobId], "last"))[0]?.[0] ?? null;
