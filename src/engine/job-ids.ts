/**
 * Job ids and shard placement. Ids are UUIDv7: time-ordered, so they sort by creation and keep
 * SQLite primary-key inserts sequential. A job's shard is a hash of its id; a job submitted with
 * an idempotency key is given an id whose shard matches the key's, so the key and the job can
 * be checked and written in one atomic script (same hash tag).
 */
import { v7 as uuidv7 } from "uuid";

/** FNV-1a, 32 bit: stable across processes and languages, cheap, well spread. */
const fnv1a = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
};

export const shardOf = (key: string, shards: number): number => (shards <= 1 ? 0 : fnv1a(key) % shards);

export const newJobId = (): string => uuidv7();

/** A fresh id in the given shard (expected `shards` draws). */
export const newJobIdInShard = (shard: number, shards: number): string => {
  for (;;) {
    const id = uuidv7();
    if (shardOf(id, shards) === shard) return id;
  }
};
