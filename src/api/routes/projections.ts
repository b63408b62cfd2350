/**
 * Projection admin routes: rebuild, check, and quarantine of an undecodable log entry
 * (ADR 0009, 0019). They act on the projection this process owns. A rebuild or check while
 * another runs answers 409 `projection_busy`.
 */
import type { FastifyInstance } from "fastify";
import { actorOf } from "../caller.ts";
import type { ApiDeps } from "../deps.ts";
import { QuarantineRequest } from "../../contract/index.ts";
import { decodeOrThrow } from "../decode.ts";

export const registerProjectionRoutes = (app: FastifyInstance, deps: ApiDeps): void => {
  app.post("/v1/projections/rebuild", async () => deps.projection.rebuild());
  app.post("/v1/projections/check", async () => deps.projection.check());

  app.post("/v1/projections/quarantine", async (request, reply) => {
    const body = decodeOrThrow(QuarantineRequest, request.body ?? {}, "body");
    const record = await deps.projection.quarantine({ ...body, actor: actorOf(request) });
    return reply.code(201).send(record);
  });
};
