/**
 * `GET /v1/events`: Server-Sent Events of job events as the projector commits them, optionally
 * filtered by job id or event type. Each message is one envelope (`event:` its type, `id:`
 * `<jobId>:<seq>`); a comment line every 15 s keeps proxies from closing an idle stream.
 */
import type { FastifyInstance } from "fastify";
import type { ApiDeps } from "../deps.ts";
import { decodeOrThrow, EventStreamQuery } from "../schemas.ts";

const HEARTBEAT_MS = 15_000;

export const registerEventStream = (app: FastifyInstance, deps: ApiDeps): void => {
  // Open streams never end on their own: close them when the server starts closing. preClose,
  // not onClose: fastify runs onClose after in-flight requests end, which a stream never does.
  const open = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const close of open) close();
  });
  app.get("/v1/events", async (request, reply) => {
    const query = decodeOrThrow(EventStreamQuery, request.query, "query");
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    raw.write(": connected\n\n");
    const unsubscribe = deps.projection.onApplied((events) => {
      let chunk = "";
      for (const event of events) {
        if (query.jobId !== undefined && event.jobId !== query.jobId) continue;
        if (query.type !== undefined && event.type !== query.type) continue;
        chunk += `id: ${event.jobId}:${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
      }
      if (chunk !== "") raw.write(chunk);
    });
    const heartbeat = setInterval(() => raw.write(": keep-alive\n\n"), HEARTBEAT_MS);
    heartbeat.unref();
    const close = () => {
      if (!open.delete(close)) return;
      clearInterval(heartbeat);
      unsubscribe();
      raw.end();
    };
    open.add(close);
    request.raw.on("close", close);
  });
};
