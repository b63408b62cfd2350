/**
 * A job's `meta`: a JSON object of free labels the submitter sets and the job's handler may
 * replace (MetaUpdated), which readers show and search. Bounded harder than a payload
 * (MAX_META_BYTES, MAX_META_DEPTH) because every list row carries it.
 */
import * as Schema from "effect/Schema";
import { jsonProblem } from "./json-value.ts";
import type { Json } from "./json.ts";
import { MAX_META_BYTES, MAX_META_DEPTH } from "./limits.ts";

/** Depth of nested arrays and objects (a scalar is 0, `{}` is 1). */
const depthOf = (value: Json, limit: number): number => {
  if (value === null || typeof value !== "object") return 0;
  if (limit <= 0) return 1;
  let deepest = 0;
  const items = Array.isArray(value) ? value : Object.values(value);
  for (const item of items) deepest = Math.max(deepest, depthOf(item as Json, limit - 1));
  return deepest + 1;
};

/** UTF-8 length of a string, by arithmetic (no encoder: the domain stays plain). */
export const utf8Length = (text: string): number => {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
};

/** Why `value` cannot be a job's meta, or undefined when it can. */
export const metaProblem = (value: unknown): string | undefined => {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return "meta must be a JSON object";
  const problem = jsonProblem(value);
  if (problem !== undefined)
    return problem.path.length === 0 ? problem.message : `at ${problem.path.join(".")}: ${problem.message}`;
  if (depthOf(value as Json, MAX_META_DEPTH + 1) > MAX_META_DEPTH)
    return `meta is nested deeper than ${MAX_META_DEPTH} levels`;
  const bytes = utf8Length(JSON.stringify(value));
  if (bytes > MAX_META_BYTES) return `meta is ${bytes} bytes of JSON; the limit is ${MAX_META_BYTES}`;
  return undefined;
};

/**
 * Schema.Json narrowed by a check (not a Schema.Record: the compiled envelope check,
 * schema-check.ts, reads Schema.Json and checks, and refuses index signatures).
 */
export const JobMeta = Schema.Json.check(
  Schema.makeFilter((value: Json) => metaProblem(value) ?? true, {
    expected: `a JSON object of at most ${MAX_META_BYTES} bytes, nested at most ${MAX_META_DEPTH} deep`,
  }),
);

/** Typed as any JSON; the check makes it an object. */
export type JobMeta = typeof JobMeta.Type;
