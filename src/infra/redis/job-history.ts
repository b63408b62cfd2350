/**
 * Reading jobs' histories as stored (ADR 0027): each event is stored once, in its shard log, and
 * a job's history key `<p>:{s}:history:<id>` is the index of its log entry ids, element i naming
 * the entry of seq i + 1. history.lua reads an index and the entries it names in one round trip.
 * Shared by the event store (which decodes the envelopes) and the audit source (which hands the
 * stored fields to the auditor as they are). Only append.lua writes either.
 *
 * Across tiers (ADR 0034): an index element whose entry the log no longer holds, at or before
 * the shard's archived-through id, is read from the archive (entry ids never change, so the
 * index stays valid when its entries are trimmed). One the log does not hold and the archive
 * does not either comes back with `fields: null`: the entry was deleted, or the element is not
 * an entry id; the event store throws on it, the auditor reports it.
 */
import type { RedisClient } from "./connection.ts";
import type { Keys } from "./keys.ts";
import { type ScriptPipeline, withScripts } from "./scripts.ts";
import { ShardPipelines } from "./shard-pipelines.ts";
import type { TieredLog } from "./tiered-log.ts";

/** One element of a job's history index and the shard-log entry it names. */
export interface StoredHistoryEntry {
  /** Its position in the index, from 1 (the seq it stands for). */
  readonly position: number;
  /** The shard-log entry id the element names, as stored. */
  readonly entryId: string;
  /** The log entry's flat field list (jobId, seq, type, env), or null when neither tier holds it. */
  readonly fields: ReadonlyArray<string> | null;
  /** Where the entry was read: the shard log in Redis, or the archive (null: neither). */
  readonly tier: "log" | "archive" | null;
}

/** history.lua's reply for one job: the index length, then {entryId, fields} per element read. */
type JobReply = [number, ...Array<[string, Array<string>]>];
/** history.lua's reply: the shard's archived-through id ('' when none), then one JobReply per job. */
type CallReply = [string, ...Array<JobReply>];

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
    tier: fields.length === 0 ? null : "log",
  }));
};

/** Fill the entries trimmed from the log with the archive's copies; evicted jobs from the archive. */
const fromArchive = async (
  tiered: TieredLog,
  shard: number,
  archived: string,
  histories: ReadonlyArray<Array<StoredHistoryEntry>>,
): Promise<void> => {
  const missing = histories.flatMap((entries) =>
    entries.filter((e) => e.fields === null).map((e) => e.entryId),
  );
  if (missing.length === 0) return;
  const found = await tiered.archivedEntries(shard, missing, archived === "" ? null : archived);
  if (found.size === 0) return;
  for (const entries of histories)
    entries.forEach((entry, i) => {
      const fields = entry.fields === null ? found.get(entry.entryId) : undefined;
      if (fields !== undefined) entries[i] = { ...entry, fields, tier: "archive" };
    });
};

const readIndexed = async (
  client: RedisClient,
  keys: Keys,
  jobIds: ReadonlyArray<string>,
  mode: "all" | "last",
  tiered: TieredLog,
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
    const pipelines = new ShardPipelines(client);
    for (const call of calls)
      pipelines.on(call.shard, (p) => (p as unknown as ScriptPipeline).docketHistory(1, argsOf(call)));
    replies = await pipelines.exec();
  }
  const out: Array<Array<StoredHistoryEntry>> = new Array(jobIds.length);
  await Promise.all(
    calls.map(async (call, c) => {
      const [archived, ...perJob] = replies[c] as CallReply;
      const histories = call.indices.map((_, j) => entriesOf(perJob[j] as JobReply, mode));
      await fromArchive(tiered, call.shard, archived, histories);
      // No index: the job never was, or it left Redis (ADR 0034) and the archive has it all.
      await Promise.all(
        call.indices.map(async (index, j) => {
          if ((perJob[j] as JobReply)[0] !== 0 || archived === "") return;
          const entries = await tiered.jobEntries(call.shard, jobIds[index] as string, archived);
          const all = entries.map(({ id, fields }, i) => ({
            position: i + 1,
            entryId: id,
            fields,
            tier: "archive" as const,
          }));
          histories[j] = mode === "all" ? all : all.slice(-1);
        }),
      );
      call.indices.forEach((index, j) => {
        out[index] = histories[j] as Array<StoredHistoryEntry>;
      });
    }),
  );
  return out;
};

/** Jobs' whole histories, in the order given, oldest event first ([] for a job without one). */
export const readStoredHistories = (
  client: RedisClient,
  keys: Keys,
  jobIds: ReadonlyArray<string>,
  tiered: TieredLog,
): Promise<ReadonlyArray<ReadonlyArray<StoredHistoryEntry>>> =>
  readIndexed(client, keys, jobIds, "all", tiered);

/** The whole history of a job, oldest first ([] when it has none). */
export const readStoredHistory = async (
  client: RedisClient,
  keys: Keys,
  jobId: string,
  tiered: TieredLog,
): Promise<ReadonlyArray<StoredHistoryEntry>> =>
  (await readIndexed(client, keys, [jobId], "all", tiered))[0] ?? [];

/** The last element of a job's history, or null. */
export const readLastStoredEntry = async (
  client: RedisClient,
  keys: Keys,
  jobId: string,
  tiered: TieredLog,
): Promise<StoredHistoryEntry | null> =>
  (await readIndexed(client, keys, [jobId], "last", tiered))[0]?.[0] ?? null;
