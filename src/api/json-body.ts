/**
 * The JSON body parser: fastify's size limit, then a nesting-depth limit checked on the raw
 * text before parsing, so a hostile body (say 100,000 nested arrays) is a 400 rather than a
 * stack overflow somewhere in parsing, validation or hashing; then well-formed Unicode: a string
 * or member name holding a lone surrogate (only a `\uD800`-style escape can write one) is a 400
 * `invalid_unicode` naming where it is, as no event could hold it (ADR 0018).
 */
import type { FastifyInstance } from "fastify";
import { MAX_JSON_DEPTH } from "../domain/index.ts";
import { ApiError } from "./errors.ts";

export { MAX_JSON_DEPTH };

/** The deepest nesting of arrays and objects in a JSON text (brackets inside strings ignored). */
export const jsonDepth = (text: string): number => {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return deepest;
};

/** A surrogate written as an escape; without one, parsed text cannot hold a lone surrogate. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * Where the first string or member name that is not well-formed Unicode sits in a parsed body
 * (a bad member name is reported at the object that holds it), or undefined.
 */
export const illFormedTextPath = (value: unknown): ReadonlyArray<string | number> | undefined => {
  if (typeof value === "string") return value.isWellFormed() ? undefined : [];
  if (typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const path = illFormedTextPath(value[i]);
      if (path !== undefined) return [i, ...path];
    }
    return undefined;
  }
  for (const [key, member] of Object.entries(value)) {
    if (!key.isWellFormed()) return [];
    const path = illFormedTextPath(member);
    if (path !== undefined) return [key, ...path];
  }
  return undefined;
};

/**
 * Parse a JSON request text: the depth limit, then JSON.parse, then well-formed Unicode. Throws
 * the 400 each refusal answers. `undefined` for an empty text ("no body").
 */
export const parseJsonText = (text: string): unknown => {
  // An empty body is "no body" (e.g. a bare POST /cancel); routes that need one say so.
  if (text.trim() === "") return undefined;
  if (jsonDepth(text) > MAX_JSON_DEPTH)
    throw new ApiError(400, "json_too_deep", `JSON nesting deeper than ${MAX_JSON_DEPTH} levels`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, "malformed_json", `the body is not valid JSON: ${(error as Error).message}`);
  }
  const badText = SURROGATE_ESCAPE.test(text) ? illFormedTextPath(parsed) : undefined;
  if (badText !== undefined) {
    const field = ["body", ...badText].join(".");
    throw new ApiError(
      400,
      "invalid_unicode",
      `${field}: a string with a lone surrogate (not well-formed Unicode)`,
      {
        field,
      },
    );
  }
  return parsed;
};

export const registerJsonBody = (app: FastifyInstance): void => {
  // JSON only: any other media type (fastify also parses text/plain by default) is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseJsonText(typeof body === "string" ? body : body.toString("utf8")));
    } catch (error) {
      done(error as ApiError, undefined);
    }
  });
};
