/**
 * Request ids and request lines (ADR 0030). Each request gets an id: the caller's `X-Request-Id`
 * when it is short and printable (1 to 64 of the visible ASCII characters), so a proxy's or a
 * client's id follows the request through the logs; otherwise one made here. It is echoed in the
 * `X-Request-Id` response header and is the `reqId` of every line logged for the request.
 *
 * One line per request, at info, when it is answered: method, path (never the query string,
 * which may carry anything), status and time, in place of fastify's two lines per request (its
 * LogController, the place fastify offers for this). Headers are never logged (the Authorization
 * header holds a bearer token).
 */
import { randomUUID } from "node:crypto";
import {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from "fastify";

export const REQUEST_ID_HEADER = "x-request-id";
const ACCEPTED_ID = /^[\x21-\x7e]{1,64}$/;

/** fastify's `genReqId`: the caller's id when acceptable, else a fresh one. */
export const requestIdOf: NonNullable<FastifyServerOptions["genReqId"]> = (request) => {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === "string" && ACCEPTED_ID.test(given) ? given : randomUUID();
};

export class RequestLines extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const path = request.url.split("?")[0] ?? "";
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    const fields = { method: request.method, path, status: reply.statusCode, ms };
    const line = `${request.method} ${path} ${reply.statusCode} ${ms} ms (request ${request.id})`;
    // An error here broke the response after it started (a stream failed): the error handler never saw it.
    if (error) request.log.error({ ...fields, err: error }, `${line}: ${error.message}`);
    else request.log.info(fields, line);
  }
}

/** The request id in every response (also the errors answered before routing). */
export const registerRequestIds = (app: FastifyInstance): void => {
  app.addHook("onRequest", async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
  });
};
