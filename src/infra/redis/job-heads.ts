/**
 * Reading job heads: one pipelined HMGET per job, decoded by head-codec.ts. Shared by the event
 * store (loadHeads) and the work queue (the heads of reclaimed entries).
 */
import type { Redis } from "ioredis";
import type { StoredHead } from "../../engine/write/ports.ts";
import { decodeHead, HEAD_FIELDS } from "./head-codec.ts";
import type { Keys } from "./keys.ts";

/** The heads of these jobs, in the order given (null for a job without one), in one round trip. */
export const readHeads = async (
  client: Redis,
  keys: Keys,
  jobIds: ReadonlyArray<string>,
): Promise<ReadonlyArray<StoredHead | null>> => {
  if (jobIds.length === 0) return [];
  const pipeline = client.pipeline();
  for (const id of jobIds) pipeline.hmget(keys.head(keys.shardOf(id), id), ...HEAD_FIELDS);
  const replies = (await pipeline.exec()) ?? [];
  return jobIds.map((id, i) => {
    const [error, fields] = replies[i] ?? [null, null];
    if (error) throw error;
    const [version, lastHash, spec, live, payload] = (fields as Array<string | null>) ?? [];
    return decodeHead(id, version, lastHash, spec, live, payload);
  });
};
