/**
 * Stream entries as ioredis returns them (XRANGE, XREAD), reading one field of an entry, and the
 * one read of a shard log after a position that the projector, the auditor and the archiver share.
 */
import type { RedisClient } from "./connection.ts";

/** `[entryId, [field, value, field, value, …]]`; the fields are null for an entry deleted meanwhile. */
export type StreamEntries = Array<[string, Array<string> | null]>;

/** The value of `name` in an entry's flat field list, or null when it has none. */
export const streamField = (fields: ReadonlyArray<string> | null, name: string): string | null => {
  if (fields === null) return null;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1] ?? null;
  return null;
};

/** The value of a field every entry of the stream has (a work entry's `jobId`); throws if absent. */
export const requiredStreamField = (fields: ReadonlyArray<string> | null, name: string): string => {
  const value = streamField(fields, name);
  if (value === null) throw new Error(`stream entry has no ${name} field`);
  return value;
};

/** Up to `count` entries of the stream at `key` strictly after `afterId` ("(": exclusive, Redis ≥ 6.2). */
export const entriesAfter = async (
  client: RedisClient,
  key: string,
  afterId: string,
  count: number,
): Promise<StreamEntries> => (await client.xrange(key, `(${afterId}`, "+", "COUNT", count)) as StreamEntries;
