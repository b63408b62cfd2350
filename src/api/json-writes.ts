/**
 * Every state-changing request declares `Content-Type: application/json`, even with an empty
 * body (ADR 0017). A web page can make a browser send a "simple" cross-origin request without
 * asking the server first (no CORS preflight): a POST with no body, or with `text/plain`,
 * `application/x-www-form-urlencoded` or `multipart/form-data`. Refusing all of those means a
 * page on another origin cannot cancel, retry, submit or rebuild through a user's browser, even
 * against an API that runs without a token on 127.0.0.1. JSON bodies are parsed by json-body.ts.
 */
import type { FastifyInstance } from "fastify";
import { ApiError } from "./errors.ts";

/** Methods that change nothing; every other method must carry the JSON media type. */
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/** The media type of a Content-Type header, lower case, without parameters (`; charset=…`). */
export const mediaTypeOf = (header: string | undefined): string | undefined =>
  header?.split(";", 1)[0]?.trim().toLowerCase();

/** Register after auth: an unauthenticated caller gets 401 before anything else. */
export const registerJsonWrites = (app: FastifyInstance): void => {
  app.addHook("onRequest", async (request) => {
    // Unknown routes answer 404 (or 401) whatever their media type.
    if (SAFE_METHODS.has(request.method) || request.is404) return;
    if (mediaTypeOf(request.headers["content-type"]) !== "application/json")
      throw new ApiError(
        415,
        "unsupported_media_type",
        `${request.method} needs Content-Type: application/json, even with nothing to send (send {})`,
      );
  });
};
