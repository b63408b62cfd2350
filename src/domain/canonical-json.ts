/**
 * RFC 8785 (JSON Canonicalization Scheme) serialisation and the SHA-256 digest over it.
 *
 * Owns the exact bytes that Docket hashes. It is public contract: an auditor must be able to
 * recompute every hash with any RFC 8785 canonicaliser and SHA-256, so nothing Docket-specific
 * may creep in here. Hashing is pure computation; no I/O, clock or randomness is used.
 *
 * This is our own implementation, written for the hot path (one call per event): it gives
 * byte for byte what the reference implementation (the `canonicalize` package, by the RFC's
 * author) gives — including its handling of `toJSON`, `undefined` members and the errors it
 * throws — and a property test compares the two on arbitrary values (ADR 0011). Strings and
 * numbers are serialised as ECMAScript's JSON.stringify does, which is what RFC 8785 specifies
 * (its §3.2.2.2 string escaping and §3.2.2.3 number formatting are ES2015's); members are
 * sorted by UTF-16 code units, which is what Array.prototype.sort does with strings.
 */
import { createHash } from "node:crypto";

const SURROGATE = /[\uD800-\uDFFF]/;

const hasLoneSurrogate = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) return true;
  }
  return false;
};

/** A canonical JSON string literal; lone surrogates have no UTF-8 form and are refused. */
export const canonicalString = (text: string): string => {
  if (SURROGATE.test(text) && hasLoneSurrogate(text)) throw new Error("Lone surrogate is not allowed");
  return JSON.stringify(text);
};

/** A canonical JSON number (ES Number::toString; -0 is 0); NaN and infinities are refused. */
export const canonicalNumber = (value: number): string => {
  if (Number.isNaN(value)) throw new Error("NaN is not allowed");
  if (!Number.isFinite(value)) throw new Error("Infinity is not allowed");
  return String(value);
};

const serialise = (value: unknown, seen: Set<object>): string | undefined => {
  switch (typeof value) {
    case "string":
      return canonicalString(value);
    case "number":
      return canonicalNumber(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      break;
    default:
      // undefined, functions, symbols, bigints: as the reference does (JSON.stringify's answer).
      return JSON.stringify(value);
  }
  if (value === null) return "null";
  const object = value as Record<string, unknown> & { toJSON?: unknown };
  if (seen.has(object)) throw new Error("Circular reference detected");
  if (typeof object.toJSON === "function") {
    seen.add(object);
    const result = serialise((object.toJSON as () => unknown)(), seen);
    seen.delete(object);
    return result;
  }
  seen.add(object);
  let result: string;
  if (Array.isArray(object)) {
    const items = (object as Array<unknown>).map((item) =>
      serialise(item === undefined || typeof item === "symbol" ? null : item, seen),
    );
    result = `[${items.join(",")}]`;
  } else {
    let members = "";
    for (const key of Object.keys(object).sort()) {
      const member = object[key];
      if (member === undefined || typeof member === "symbol") continue;
      members += `${members === "" ? "" : ","}${canonicalString(key)}:${serialise(member, seen)}`;
    }
    result = `{${members}}`;
  }
  seen.delete(object);
  return result;
};

/** The RFC 8785 canonical form of a JSON value. Throws only on non-JSON input (NaN, cycles). */
export const canonicalJson = (value: unknown): string => {
  const text = serialise(value, new Set());
  if (text === undefined) throw new TypeError("value has no JSON representation");
  return text;
};

/** Lowercase hex SHA-256 of the UTF-8 bytes of `text`. */
export const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");
