/**
 * The JSON body parser: fastify's size limit, then a nesting-depth limit checked on the raw
 * text before parsing, so a hostile body (say 100,000 nested arrays) is a 400 rather than a
 * stack overflow somewhere in parsing, validation or hashing.
 */
import type { FastifyInstance } from "fastify";
import { ApiError } from "./errors.ts";

export const MAX_JSON_DEPTH = 64;

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

export const registerJsonBody = (app: FastifyInstance): void => {
  // JSON only: any other media type (fastify also parses text/plain by default) is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    // An empty body is "no body" (e.g. a bare POST /cancel); routes that need one say so.
    if (text.trim() === "") {
      done(null, undefined);
      return;
    }
    if (jsonDepth(text) > MAX_JSON_DEPTH) {
      done(
        new ApiError(400, "json_too_deep", `JSON nesting deeper than ${MAX_JSON_DEPTH} levels`),
        undefined,
      );
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(
        new ApiError(400, "malformed_json", `the body is not valid JSON: ${(error as Error).message}`),
        undefined,
      );
    }
  });
};
