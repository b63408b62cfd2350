/** Audit tools bound to a test engine's Redis, and helpers that tamper with what is stored. */
import type { Redis } from "ioredis";
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

export const readStream = async (client: Redis, key: string): Promise<Array<StoredEntry>> =>
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
  client: Redis,
  key: string,
  edit: (entries: Array<StoredEntry>) => Array<StoredEntry>,
): Promise<void> => {
  const entries = edit(await readStream(client, key));
  await client.del(key);
  for (const { id, fields } of entries) await client.xadd(key, id, ...Object.entries(fields).flat());
};

/** A job's own history as stored (ADR 0015): its envelope texts, oldest first. */
export const readHistory = (client: Redis, key: string): Promise<Array<string>> => client.lrange(key, 0, -1);

/** Rewrite a job's history list as someone with write access to Redis could. */
export const rewriteHistory = async (
  client: Redis,
  key: string,
  edit: (envs: Array<string>) => Array<string>,
): Promise<void> => {
  const envs = edit(await readHistory(client, key));
  await client.del(key);
  if (envs.length > 0) await client.rpush(key, ...envs);
};

/** Rewrite the envelope at `index` (0-based) of a job's history. */
export const editEnvelope = (
  client: Redis,
  key: string,
  index: number,
  edit: (envelope: Envelope) => unknown,
): Promise<void> =>
  rewriteHistory(client, key, (envs) =>
    envs.map((env, i) => (i === index ? JSON.stringify(edit(JSON.parse(env) as Envelope)) : env)),
  );

/** Collect a bundle export into lines (without their "\n"). */
export const collectLines = async (lines: AsyncIterable<string>): Promise<Array<string>> => {
  const out: Array<string> = [];
  for await (const line of lines) out.push(line.replace(/\n$/, ""));
  return out;
};
