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
import * as crypto from "node:crypto";

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

/**
 * Canonical literals of member names, remembered: the same few names (`type`, `payload`,
 * `attempt`, ...) recur in every event, and escaping them is most of a small object's cost. The
 * memo is bounded, so arbitrary payload keys cannot grow it without limit.
 */
const keyLiterals = new Map<string, string>();
const KEY_MEMO_LIMIT = 4_096;

const keyLiteral = (key: string): string => {
  let literal = keyLiterals.get(key);
  if (literal === undefined) {
    literal = canonicalString(key);
    if (keyLiterals.size < KEY_MEMO_LIMIT) keyLiterals.set(key, literal);
  }
  return literal;
};

/**
 * Member names in UTF-16 code unit order (what `Array.prototype.sort` gives for strings); an
 * insertion sort, as objects are small and it allocates nothing.
 */
const sortedKeys = (object: object): Array<string> => {
  const keys = Object.keys(object);
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
};

/** `path` holds the objects being serialised (for cycle detection); it is as deep as the value. */
const serialise = (value: unknown, path: Array<object>): string | undefined => {
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
  if (path.includes(object)) throw new Error("Circular reference detected");
  if (typeof object.toJSON === "function") {
    path.push(object);
    const result = serialise((object.toJSON as () => unknown)(), path);
    path.pop();
    return result;
  }
  path.push(object);
  let result: string;
  if (Array.isArray(object)) {
    const items = object as Array<unknown>;
    result = "[";
    for (let i = 0; i < items.length; i++) {
      // A hole in a sparse array is skipped, as the reference's `map` skips it.
      if (!(i in items)) {
        if (i > 0) result += ",";
        continue;
      }
      const item = items[i];
      result += `${i === 0 ? "" : ","}${serialise(item === undefined || typeof item === "symbol" ? null : item, path)}`;
    }
    result += "]";
  } else {
    let members = "";
    for (const key of sortedKeys(object)) {
      const member = object[key];
      if (member === undefined || typeof member === "symbol") continue;
      members += `${members === "" ? "" : ","}${keyLiteral(key)}:${serialise(member, path)}`;
    }
    result = `{${members}}`;
  }
  path.pop();
  return result;
};

/** The RFC 8785 canonical form of a JSON value. Throws only on non-JSON input (NaN, cycles). */
export const canonicalJson = (value: unknown): string => {
  const text = serialise(value, []);
  if (text === undefined) throw new TypeError("value has no JSON representation");
  return text;
};

/** Lowercase hex SHA-256 of the UTF-8 bytes of `text`. */
export const sha256Hex: (text: string) => string =
  // One-shot `crypto.hash` (Node 20.12 and later) is about twice as fast as a Hash object for
  // inputs of an envelope's size; older Node 20 releases fall back to `createHash`.
  typeof crypto.hash === "function"
    ? (text) => crypto.hash("sha256", text, "hex")
    : (text) => crypto.createHash("sha256").update(text, "utf8").digest("hex");
