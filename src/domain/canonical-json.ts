/**
 * RFC 8785 (JSON Canonicalization Scheme) serialisation and the SHA-256 digest over it.
 *
 * Owns the exact bytes that Docket hashes. It is public contract: an auditor must be able to
 * recompute every hash with any RFC 8785 canonicaliser and SHA-256, so nothing Docket-specific
 * may creep in here. Hashing is pure computation; no I/O, clock or randomness is used.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";

/** The RFC 8785 canonical form of a JSON value. Throws only on non-JSON input (NaN, cycles). */
export const canonicalJson = (value: unknown): string => {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("value has no JSON representation");
  return text;
};

/** Lowercase hex SHA-256 of the UTF-8 bytes of `text`. */
export const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");
