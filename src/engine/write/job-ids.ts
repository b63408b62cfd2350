/**
 * Job ids and shard placement. Ids are UUIDv7: time-ordered, so they sort by creation and keep
 * SQLite primary-key inserts sequential. A job's shard is a hash of its id; a job submitted with
 * an idempotency key is given an id whose shard matches the key's, so the key and the job can
 * be checked and written in one atomic script (same hash tag).
 */
import { randomFillSync } from "node:crypto";
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

/**
 * Random bytes for ids, drawn from a pool refilled 4 KiB at a time: one `getRandomValues` call
 * per id (what `uuid` does by default) was a tenth of a single submit's CPU.
 */
const pool = new Uint8Array(4096);
let used = pool.length;
const random16 = (): Uint8Array => {
  if (used + 16 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += 16;
  return pool.subarray(used - 16, used);
};

/**
 * Monotonic within a process, as `uuid`'s own v7 keeps it (RFC 9562 §6.2, method 1): a new
 * millisecond starts the counter at random, and ids within one millisecond count up from it.
 */
const clock = { msecs: Number.NEGATIVE_INFINITY, seq: 0 };

const uuidv7Pooled = (): string => {
  const random = random16();
  const now = Date.now();
  if (now > clock.msecs) {
    clock.seq =
      (((random[6] ?? 0) & 0x7f) << 24) |
      ((random[7] ?? 0) << 16) |
      ((random[8] ?? 0) << 8) |
      (random[9] ?? 0);
    clock.msecs = now;
  } else {
    clock.seq = (clock.seq + 1) | 0;
    if (clock.seq === 0) clock.msecs++;
  }
  return uuidv7({ random, msecs: clock.msecs, seq: clock.seq });
};

export const newJobId = (): string => uuidv7Pooled();

/** A fresh id in the given shard (expected `shards` draws). */
export const newJobIdInShard = (shard: number, shards: number): string => {
  for (;;) {
    const id = uuidv7Pooled();
    if (shardOf(id, shards) === shard) return id;
  }
};
