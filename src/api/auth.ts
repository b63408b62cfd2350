/**
 * Bearer-token auth for `/v1` (when DOCKET_API_TOKEN is set). The comparison is constant-time:
 * both sides are hashed to equal-length digests first, so neither the token's content nor its
 * length leaks through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { ApiError } from "./errors.ts";

const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();

export const tokenMatches = (expected: string, presented: string): boolean =>
  timingSafeEqual(digest(expected), digest(presented));

export const registerBearerAuth = (app: FastifyInstance, token: string | undefined): void => {
  if (token === undefined || token === "") return;
  app.addHook("onRequest", async (request) => {
    if (!request.url.startsWith("/v1/") && request.url !== "/v1") return;
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer (.+)$/i.exec(header.trim()) : null;
    if (match?.[1] === undefined || !tokenMatches(token, match[1]))
      throw new ApiError(
        401,
        "unauthorized",
        "missing or wrong bearer token (Authorization: Bearer <token>)",
      );
  });
};
