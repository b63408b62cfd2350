/**
 * The Merkle hashing's one-call paths (src/domain/merkle.ts) give the bytes RFC 6962 defines,
 * computed here the plain way with a fresh hasher: SHA-256(0x00 || UTF-8 of the text) for a leaf
 * given as text (lone surrogates become U+FFFD, as TextEncoder writes them), SHA-256(0x00 ||
 * bytes) for a leaf, SHA-256(0x01 || left || right) for a node — on arbitrary text and bytes.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { merkleLeafHash, merkleLeafHashOfText, merkleNodeHash } from "../src/domain/index.ts";

const reference = (...parts: ReadonlyArray<Uint8Array>): string => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
};
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const bytes = fc.uint8Array({ maxLength: 300 });

describe("Merkle hashing", () => {
  it("a leaf given as text is the leaf of its UTF-8 bytes, for any text, lone surrogates included", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        const utf8 = new TextEncoder().encode(text);
        expect(hex(merkleLeafHashOfText(text))).toBe(reference(Uint8Array.of(0x00), utf8));
        expect(hex(merkleLeafHash(utf8))).toBe(reference(Uint8Array.of(0x00), utf8));
      }),
    );
  });

  it("a node is SHA-256(0x01 || left || right) for any two children, and its result is 32 bytes of its own", () => {
    fc.assert(
      fc.property(bytes, bytes, (left, right) => {
        const node = merkleNodeHash(left, right);
        expect(hex(node)).toBe(reference(Uint8Array.of(0x01), left, right));
        // A view of a pooled digest must not change under a later hash.
        const before = hex(node);
        merkleNodeHash(right, left);
        merkleLeafHashOfText("later");
        expect(node.byteLength).toBe(32);
        expect(hex(node)).toBe(before);
      }),
    );
  });
});
