/**
 * Reading job heads: one pipelined HMGET per job, decoded by head-codec.ts. Shared by the event
 * store (loadHeads) and the work queue (the heads of reclaimed entries).
 */
import type { RedisClient } from "./connection.ts";
import type { StoredHead } from "../../engine/write/ports.ts";
import { decodeHead, HEAD_FIELDS } from "./head-codec.ts";
import type { Keys } from "./keys.ts";
import { ShardPipelines } from "./shard-pipelines.ts";

/** The heads of these jobs, in the order given (null for a job without one), in one round trip. */
export const readHeads = async (
  client: RedisClient,
  keys: Keys,
  jobIds: ReadonlyArray<string>,
): Promise<ReadonlyArray<StoredHead | null>> => {
  if (jobIds.length === 0) return [];
  const pipelines = new ShardPipelines(client);
  for (const id of jobIds) {
    const shard = keys.shardOf(id);
    pipelines.on(shard, (p) => p.hmget(keys.head(shard, id), ...HEAD_FIELDS));
  }
  const replies = await pipelines.exec();
  return jobIds.map((id, i) => {
    const fields = replies[i];
    const [version, lastHash, spec, live, payload] = (fields as Array<string | null>) ?? [];
    return decodeHead(id, version, lastHash, spec, live, payload);
  });
};
