/**
 * RFC 6962 Merkle trees (src/domain/merkle.ts) against the published Certificate Transparency
 * test vectors (the roots of the first 1..8 leaves of the reference data, and audit paths), and
 * every leaf's audit path in trees of every size up to 40 (every shape of the split rule); the
 * root built a leaf at a time (so sealing and checking a 10,000-entry segment can yield while
 * hashing) is the root merkleRoot computes over all the leaves at once.
 */
import { describe, expect, it } from "vitest";
import {
  MerkleRootBuilder,
  merkleInclusionProof,
  merkleLeafHash,
  merkleRoot,
  verifyMerkleInclusion,
} from "../src/domain/index.ts";

const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

const LEAVES = [
  "",
  "00",
  "10",
  "2021",
  "3031",
  "40414243",
  "5051525354555657",
  "606162636465666768696a6b6c6d6e6f",
]
  .map(fromHex)
  .map(merkleLeafHash);
const ROOTS = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

describe("RFC 6962 Merkle tree", () => {
  it("gives the reference roots for 0..8 leaves", () => {
    for (let n = 0; n <= 8; n++) expect(hex(merkleRoot(LEAVES.slice(0, n))), `size ${n}`).toBe(ROOTS[n]);
  });

  it("gives the reference audit paths (leaf 0 and leaf 5 of 8, leaf 2 of 3)", () => {
    expect(merkleInclusionProof(LEAVES, 0).map(hex)).toEqual([
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]);
    expect(merkleInclusionProof(LEAVES, 5).map(hex)).toEqual([
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]);
    expect(merkleInclusionProof(LEAVES.slice(0, 3), 2).map(hex)).toEqual([
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    ]);
  });

  it("every leaf's audit path verifies in trees of 1..40 leaves, and not for another leaf, index or root", () => {
    const many = Array.from({ length: 40 }, (_, i) => merkleLeafHash(Uint8Array.of(i, i * 7)));
    for (let size = 1; size <= 40; size++) {
      const leaves = many.slice(0, size);
      const root = merkleRoot(leaves);
      for (let index = 0; index < size; index++) {
        const proof = merkleInclusionProof(leaves, index);
        const leaf = leaves[index] as Uint8Array;
        expect(verifyMerkleInclusion(leaf, index, size, proof, root)).toBe(true);
        expect(verifyMerkleInclusion(many[(index + 1) % 40] as Uint8Array, index, size, proof, root)).toBe(
          false,
        );
        if (size > 1) expect(verifyMerkleInclusion(leaf, (index + 1) % size, size, proof, root)).toBe(false);
        expect(verifyMerkleInclusion(leaf, index, size, proof, many[39] as Uint8Array)).toBe(false);
      }
    }
  });

  // The size is not redundant: a path may fit a larger tree too (leaf 0 of 3 reads as leaf 0 of
  // 4), which is why a checkpoint signs its tree size with its root.
  it("refuses an index outside the tree", () => {
    expect(() => merkleInclusionProof(LEAVES, 8)).toThrow(RangeError);
    expect(verifyMerkleInclusion(LEAVES[0] as Uint8Array, 8, 8, [], merkleRoot(LEAVES))).toBe(false);
  });

  it("the root built a leaf at a time equals merkleRoot for trees of 0..130 leaves", () => {
    const leaves = Array.from({ length: 130 }, (_, i) =>
      merkleLeafHash(new TextEncoder().encode(`leaf ${i}`)),
    );
    for (let n = 0; n <= leaves.length; n++) {
      const builder = new MerkleRootBuilder();
      for (const leaf of leaves.slice(0, n)) builder.add(leaf);
      expect(hex(builder.root()), `size ${n}`).toBe(hex(merkleRoot(leaves.slice(0, n))));
    }
  });
});
