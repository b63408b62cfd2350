/**
 * Which hash tag each shard's keys carry (ADR 0047, README "Running on Redis Cluster").
 *
 * Every key of shard s carries one tag, so a shard lives in one Redis Cluster slot and one Lua
 * script may touch all of its keys. The tag is chosen so that the N shards' slots are spread
 * evenly over the 16,384 slots: shard s's slot lies in the s-th of N equal slot ranges. A cluster
 * whose masters hold equal contiguous ranges (what `redis-cli --cluster create` makes) then has
 * N shards on N distinct masters when N equals the number of masters, and spreads them evenly
 * otherwise. The tag of shard s is `s` when its slot already lies in that range (always so for
 * one shard, whose tag stays `0`), else the first of `s.1`, `s.2`, … whose slot does. On a single
 * Redis the tags are just names.
 */
import calculateSlot from "cluster-key-slot";

export const CLUSTER_SLOTS = 16_384;

/** The slot range [from, to) shard `shard` of `shards` should land in. */
export const slotRangeOf = (shard: number, shards: number): { from: number; to: number } => ({
  from: Math.floor((shard * CLUSTER_SLOTS) / shards),
  to: Math.floor(((shard + 1) * CLUSTER_SLOTS) / shards),
});

/** The slot of a key with hash tag `tag`. */
export const slotOfTag = (tag: string): number => calculateSlot(`{${tag}}`);

/** The hash tag of shard `shard` of `shards` (deterministic; see the header). */
export const shardTagOf = (shard: number, shards: number): string => {
  const { from, to } = slotRangeOf(shard, shards);
  const inRange = (tag: string) => {
    const slot = slotOfTag(tag);
    return slot >= from && slot < to;
  };
  if (inRange(String(shard))) return String(shard);
  // CRC16 spreads these evenly: about `shards` tries are expected; 1,024 shards is the ceiling.
  for (let k = 1; ; k++) if (inRange(`${shard}.${k}`)) return `${shard}.${k}`;
};
