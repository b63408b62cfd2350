/**
 * RFC 6962 (§2.1) Merkle tree hashing, the tree every archive checkpoint commits to (ADR 0029):
 *
 *   leaf hash  = SHA-256(0x00 || leaf bytes)
 *   node hash  = SHA-256(0x01 || left || right)
 *   MTH([])    = SHA-256("")
 *   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of two below n
 *
 * and audit (inclusion) paths with their verification as RFC 9162 §2.1.3 states them. The same
 * tree as Certificate Transparency and every C2SP tlog, so any of their verifiers agree with
 * ours (a unit test checks the RFC's published roots and paths). Pure: hashing only.
 */
import * as crypto from "node:crypto";

/**
 * SHA-256 in one call: no hasher object per hash (a segment hashes two per entry, and this was
 * most of sealing's hashing cost). A view of the digest, not a copy.
 */
const sha256 = (data: Uint8Array | string): Uint8Array => {
  const digest = crypto.hash("sha256", data, "buffer");
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
};

/** `prefix` then `parts`, in one buffer. */
const prefixed = (prefix: number, ...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  let length = 1;
  for (const part of parts) length += part.length;
  const bytes = new Uint8Array(length);
  bytes[0] = prefix;
  let at = 1;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
};

/** The hash of one leaf's bytes. */
export const merkleLeafHash = (leaf: Uint8Array): Uint8Array => sha256(prefixed(0x00, leaf));

/**
 * The hash of one leaf given as text: its UTF-8 bytes are the leaf (what TextEncoder gives, lone
 * surrogates as U+FFFD), so this equals `merkleLeafHash(new TextEncoder().encode(text))`
 * without the intermediate bytes. "\u0000" is the leaf prefix 0x00 in UTF-8.
 */
export const merkleLeafHashOfText = (text: string): Uint8Array => sha256(`\u0000${text}`);

/** The hash of an interior node over its two children. */
export const merkleNodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array =>
  sha256(prefixed(0x01, left, right));

/** The largest power of two strictly below n (n ≥ 2): where RFC 6962 splits a tree of n leaves. */
const splitPoint = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

/** The root (Merkle Tree Hash) over leaf hashes, in order. */
export const merkleRoot = (leafHashes: ReadonlyArray<Uint8Array>): Uint8Array => {
  if (leafHashes.length === 0) return sha256(new Uint8Array(0));
  // Bottom-up over the same shape as the recursive definition: pairing left to right and
  // carrying an odd last node up unchanged gives exactly RFC 6962's left-balanced tree.
  let level: ReadonlyArray<Uint8Array> = leafHashes;
  while (level.length > 1) {
    const next: Array<Uint8Array> = [];
    for (let i = 0; i + 1 < level.length; i += 2)
      next.push(merkleNodeHash(level[i] as Uint8Array, level[i + 1] as Uint8Array));
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Uint8Array);
    level = next;
  }
  return level[0] as Uint8Array;
};

/**
 * The RFC 6962 root of a tree built one leaf at a time, the same root as merkleRoot over all of
 * them: the stack holds the roots of the perfect subtrees so far (sizes the binary digits of the
 * count, largest first), and the root folds them right to left. Hashing as the leaves come lets
 * the caller yield between them; merkleRoot over 10,000 leaves is one 20-80 ms block otherwise.
 */
export class MerkleRootBuilder {
  private readonly stack: Array<{ readonly hash: Uint8Array; readonly size: number }> = [];

  add(leafHash: Uint8Array): void {
    let node = { hash: leafHash, size: 1 };
    for (let top = this.stack.at(-1); top !== undefined && top.size === node.size; top = this.stack.at(-1)) {
      this.stack.pop();
      node = { hash: merkleNodeHash(top.hash, node.hash), size: top.size * 2 };
    }
    this.stack.push(node);
  }

  root(): Uint8Array {
    let root: Uint8Array | undefined;
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const { hash } = this.stack[i] as { hash: Uint8Array };
      root = root === undefined ? hash : merkleNodeHash(hash, root);
    }
    return root ?? merkleRoot([]);
  }
}

/**
 * The audit path of leaf `index` in the tree over `leafHashes` (RFC 6962 §2.1.1 PATH(m, D[n])):
 * the sibling hashes from the leaf up to the root.
 */
export const merkleInclusionProof = (
  leafHashes: ReadonlyArray<Uint8Array>,
  index: number,
): ReadonlyArray<Uint8Array> => {
  if (!Number.isInteger(index) || index < 0 || index >= leafHashes.length)
    throw new RangeError(`leaf ${index} is not in a tree of ${leafHashes.length}`);
  const path = (m: number, leaves: ReadonlyArray<Uint8Array>): Array<Uint8Array> => {
    if (leaves.length <= 1) return [];
    const k = splitPoint(leaves.length);
    return m < k
      ? [...path(m, leaves.slice(0, k)), merkleRoot(leaves.slice(k))]
      : [...path(m - k, leaves.slice(k)), merkleRoot(leaves.slice(0, k))];
  };
  return path(index, leafHashes);
};

/**
 * Does `proof` show that `leafHash` is leaf `index` of a tree of `size` leaves whose root is
 * `root`? RFC 9162 §2.1.3.2, step by step.
 */
export const verifyMerkleInclusion = (
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: ReadonlyArray<Uint8Array>,
  root: Uint8Array,
): boolean => {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = merkleNodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else r = merkleNodeHash(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(r, root);
};

export const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);
