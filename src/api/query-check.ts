/**
 * Deny by default for query strings: a route whose operation declares no query parameters
 * (src/contract) refuses any, as routes that declare some refuse, through their query schema,
 * the names they do not. Without this, `DELETE /v1/schedules/x?force=true` or
 * `POST /v1/jobs?delay=60000` would answer as if the parameter had been heard: a typo or a guess
 * must never look accepted.
 */
import type { FastifyInstance } from "fastify";
import { OPERATIONS } from "../contract/index.ts";
import { ApiError } from "./errors.ts";

/** `METHOD path` of every operation without query parameters (HEAD is answered by its GET). */
const withoutQuery = new Set(
  OPERATIONS.filter((o) => o.query === undefined).map((o) => `${o.method} ${o.path}`),
);

export const registerQueryCheck = (app: FastifyInstance): void => {
  // preValidation: after auth (a caller without a token learns nothing) and before any handler.
  app.addHook("preValidation", async (request) => {
    if (request.is404) return;
    const method = request.method === "HEAD" ? "GET" : request.method;
    if (!withoutQuery.has(`${method} ${request.routeOptions.url}`)) return;
    // The parsed query is an object without a prototype: only its own keys are parameters.
    const [name] = Object.keys(request.query ?? {});
    if (name === undefined) return;
    // Worded as the query schemas word an excess parameter (decode.ts), so a client sees one shape.
    throw new ApiError(400, "invalid_request", `query.${name}: Expected no excess property`, {
      field: `query.${name}`,
    });
  });
};
