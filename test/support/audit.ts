/** Audit tools bound to a test engine's Redis, and helpers that tamper with what is stored. */
import type { RedisClient } from "../../src/infra/redis/connection.ts";
import type { Envelope } from "../../src/domain/index.ts";
import { composeAudit } from "../../src/main.ts";
import type { TestEngine } from "./engine.ts";

export const auditOf = (engine: TestEngine) =>
  composeAudit({ client: engine.client, prefix: engine.prefix, shards: engine.store.keys.shards });

type Fields = Record<string, string>;
export interface StoredEntry {
  readonly id: string;
  readonly fields: Fields;
}

export const readStream = async (client: RedisClient, key: string): Promise<Array<StoredEntry>> =>
  (await client.xrange(key, "-", "+")).map(([id, flat]) => {
    const fields: Fields = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
    return { id, fields };
  });

/**
 * Rewrite a stream as someone with write access to Redis could: delete it and add back the
 * entries `edit` returns (keeping their ids, which must stay increasing).
 */
export const rewriteStream = async (
  client: RedisClient,
  key: string,
  edit: (entries: Array<StoredEntry>) => Array<StoredEntry>,
): Promise<void> => {
  const entries = edit(await readStream(client, key));
  await client.del(key);
  for (const { id, fields } of entries) await client.xadd(key, id, ...Object.entries(fields).flat());
};

/** The keys a job's stored history spans (keys.ts). */
export interface HistoryKeys {
  history(shard: number, jobId: string): string;
  log(shard: number): string;
  shardOf(jobId: string): number;
}

const indexKey = (keys: HistoryKeys, jobId: string) => keys.history(keys.shardOf(jobId), jobId);

/** A job's history index as stored (ADR 0027): the ids of its shard-log entries, oldest first. */
export const readIndex = (client: RedisClient, keys: HistoryKeys, jobId: string): Promise<Array<string>> =>
  client.lrange(indexKey(keys, jobId), 0, -1);

/** Rewrite a job's history index as someone with write access to Redis could. */
export const rewriteIndex = async (
  client: RedisClient,
  keys: HistoryKeys,
  jobId: string,
  edit: (ids: Array<string>) => Array<string>,
): Promise<void> => {
  const ids = edit(await readIndex(client, keys, jobId));
  await client.del(indexKey(keys, jobId));
  if (ids.length > 0) await client.rpush(indexKey(keys, jobId), ...ids);
};

/** A job's envelope texts, oldest first: the `env` of each shard-log entry its index names. */
export const readHistory = async (
  client: RedisClient,
  keys: HistoryKeys,
  jobId: string,
): Promise<Array<string>> => {
  const byId = new Map(
    (await readStream(client, keys.log(keys.shardOf(jobId)))).map((e) => [e.id, e.fields.env as string]),
  );
  return (await readIndex(client, keys, jobId)).map((id) => byId.get(id) as string);
};

/**
 * Rewrite the envelopes of a job's events where they are stored, the only copy: the `env` of
 * the shard-log entries its index names, keeping their ids and other fields.
 */
export const rewriteEnvelopes = async (
  client: RedisClient,
  keys: HistoryKeys,
  jobId: string,
  edit: (envs: Array<string>) => Array<string>,
): Promise<void> => {
  const ids = await readIndex(client, keys, jobId);
  const edited = edit(await readHistory(client, keys, jobId));
  await rewriteStream(client, keys.log(keys.shardOf(jobId)), (entries) =>
    entries.map((entry) => {
      const at = ids.indexOf(entry.id);
      return at === -1 ? entry : { ...entry, fields: { ...entry.fields, env: edited[at] as string } };
    }),
  );
};

/** Rewrite the envelope of a job's event at `index` (0-based) where it is stored. */
export const editEnvelope = (
  client: RedisClient,
  keys: HistoryKeys,
  jobId: string,
  index: number,
  edit: (envelope: Envelope) => unknown,
): Promise<void> =>
  rewriteEnvelopes(client, keys, jobId, (envs) =>
    envs.map((env, i) => (i === index ? JSON.stringify(edit(JSON.parse(env) as Envelope)) : env)),
  );

/** Collect a bundle export into lines (without their "\n"). */
export const collectLines = async (lines: AsyncIterable<string>): Promise<Array<string>> => {
  const out: Array<string> = [];
  for await (const line of lines) out.push(line.replace(/\n$/, ""));
  return out;
};
