/**
 * Reading a job's own history as stored (ADR 0015): a list of envelope texts at
 * `<p>:{s}:history:<id>`, element i being seq i + 1. Shared by the event store (which decodes the
 * envelopes) and the audit source (which hands the texts to the auditor as they are). Only
 * append.lua writes it.
 */
import type { Redis } from "ioredis";
import type { Keys } from "./keys.ts";

/** One element of a job's history, as stored: its position (1-based) and its envelope text. */
export interface StoredHistoryEntry {
  readonly position: number;
  readonly env: string;
}

const replyOf = <T>(reply: [Error | null, unknown] | undefined): T => {
  const [error, value] = reply ?? [new Error("no reply"), null];
  if (error) throw error;
  return value as T;
};

/** The envelope texts of jobs' histories, in the order given, in one round trip (pipelined). */
export const readHistoryTexts = async (
  client: Redis,
  keys: Keys,
  jobIds: ReadonlyArray<string>,
): Promise<ReadonlyArray<ReadonlyArray<string>>> => {
  if (jobIds.length === 0) return [];
  // One job: a plain command, without a pipeline around it (readEvents, the audit tools).
  if (jobIds.length === 1) {
    const [jobId] = jobIds as [string];
    return [await client.lrange(keys.history(keys.shardOf(jobId), jobId), 0, -1)];
  }
  const pipeline = client.pipeline();
  for (const jobId of jobIds) pipeline.lrange(keys.history(keys.shardOf(jobId), jobId), 0, -1);
  const replies = (await pipeline.exec()) ?? [];
  return jobIds.map((_, j) => replyOf<Array<string>>(replies[j]));
};

/** The whole history of a job, oldest first ([] when it has none). */
export const readStoredHistory = async (
  client: Redis,
  keys: Keys,
  jobId: string,
): Promise<ReadonlyArray<StoredHistoryEntry>> => {
  const [texts = []] = await readHistoryTexts(client, keys, [jobId]);
  return texts.map((env, i) => ({ position: i + 1, env }));
};

/** The last element of a job's history, or null. */
export const readLastStoredEntry = async (
  client: Redis,
  keys: Keys,
  jobId: string,
): Promise<StoredHistoryEntry | null> => {
  const history = keys.history(keys.shardOf(jobId), jobId);
  const replies = (await client.pipeline().llen(history).lindex(history, -1).exec()) ?? [];
  const length = replyOf<number>(replies[0]);
  const last = replyOf<string | null>(replies[1]);
  return length > 0 && last !== null ? { position: length, env: last } : null;
};
