import calculateSlot from "cluster-key-slot";
import { describe, expect, it } from "vitest";
import { Keys } from "../src/infra/redis/keys.ts";
import { shardTagOf, slotOfTag, slotRangeOf } from "../src/infra/redis/shard-tags.ts";

describe("shard hash tags", () => {
  it("a single shard keeps the tag {0}", () => {
    expect(new Keys("docket", 1).log(0)).toBe("docket:{0}:log");
  });

  it("for every shard count up to the ceiling, shard s's slot lies in the s-th of N equal ranges", () => {
    for (const shards of [2, 3, 4, 5, 6, 7, 8, 12, 16, 64, 1024]) {
      for (let shard = 0; shard < shards; shard++) {
        const { from, to } = slotRangeOf(shard, shards);
        const slot = slotOfTag(shardTagOf(shard, shards));
        expect(slot, `shard ${shard} of ${shards}`).toBeGreaterThanOrEqual(from);
        expect(slot, `shard ${shard} of ${shards}`).toBeLessThan(to);
      }
    }
  });

  it("every key of a shard hashes to the shard's slot, and three shards land in three thirds", () => {
    const keys = new Keys("p", 3);
    const slots = [0, 1, 2].map((shard) => {
      const shardKeys = [
        keys.log(shard),
        keys.head(shard, "job-1"),
        keys.history(shard, "job-1"),
        keys.work(shard, "default", "normal"),
        keys.idempotency(shard, "k"),
        keys.archivedThrough(shard),
        `${keys.shardTag(shard)}job:x`,
      ];
      const shardSlots = new Set(shardKeys.map((key) => calculateSlot(key)));
      expect(shardSlots.size, `shard ${shard}`).toBe(1);
      return [...shardSlots][0] as number;
    });
    expect(slots.map((slot) => Math.floor(slot / (16_384 / 3)))).toEqual([0, 1, 2]);
  });
});
