/**
 * The archive's per-segment checks (check-segment.ts): the Merkle root built a leaf at a time
 * (so a reader can yield while hashing a 10,000-line segment) is RFC 6962's root, the one
 * merkleRoot computes over all the leaves at once and every checkpoint commits to.
 */
import { describe, expect, it } from "vitest";
import { merkleLeafHash, merkleRoot } from "../src/domain/index.ts";
import { MerkleRootBuilder } from "../src/engine/archive/check-segment.ts";

describe("the incremental Merkle root", () => {
  it("equals merkleRoot for trees of 0..130 leaves", () => {
    const leaves = Array.from({ length: 130 }, (_, i) =>
      merkleLeafHash(new TextEncoder().encode(`leaf ${i}`)),
    );
    for (let n = 0; n <= leaves.length; n++) {
      const builder = new MerkleRootBuilder();
      for (const leaf of leaves.slice(0, n)) builder.add(leaf);
      expect(Buffer.from(builder.root()).toString("hex")).toBe(
        Buffer.from(merkleRoot(leaves.slice(0, n))).toString("hex"),
      );
    }
  });
});
