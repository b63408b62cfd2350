/**
 * `GET /v1/events`: Server-Sent Events of job events as the projector commits them, optionally
 * filtered by job id or event type. Each message is one envelope (`event:` its type, `id:`
 * `<jobId>:<seq>`); a comment line every 15 s keeps proxies from closing an idle stream.
 *
 * Bounded (ADR 0019): at most `sseMaxClients` streams at once (one more is refused with 503
 * `event_streams_full`), and a client that stops reading is dropped: when new events come and
 * more than `sseMaxBufferBytes` of what was written before is still waiting for it, the stream
 * gets a final `event: dropped` (with why) and is closed, and destroyed if the client still does
 * not read. The test is made per delivery, not per write: one commit may bring a burst larger
 * than the limit, which a reading client drains while the event loop runs; what piles up across
 * deliveries is a client that does not. A paused client so costs at most the limit plus one
 * delivery, instead of every event from then on.
 */
import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { Envelope } from "../../domain/index.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import type { ApiLimits } from "../limits.ts";
import { decodeOrThrow, EventStreamQuery } from "../schemas.ts";

const HEARTBEAT_MS = 15_000;
/** How long a dropped client has to take its final message before its socket is destroyed. */
const DROP_GRACE_MS = 10_000;

/** Each event's message text, made once however many streams send it. */
const messages = new WeakMap<Envelope, string>();
const messageOf = (event: Envelope): string => {
  let text = messages.get(event);
  if (text === undefined) {
    text = `id: ${event.jobId}:${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    messages.set(event, text);
  }
  return text;
};

/** The streams' figures for /v1/metrics and /metrics. */
export interface EventStreamFigures {
  /** Streams open now. */
  readonly clients: number;
  /** Streams closed because their client stopped reading (buffer over the limit). */
  readonly dropped: number;
  /** Streams refused because `sseMaxClients` were open. */
  readonly refused: number;
}

export const registerEventStream = (
  app: FastifyInstance,
  deps: ApiDeps,
  limits: Pick<ApiLimits, "sseMaxClients" | "sseMaxBufferBytes">,
): (() => EventStreamFigures) => {
  // Open streams never end on their own: close them when the server closes.
  const open = new Set<() => void>();
  let dropped = 0;
  let refused = 0;
  app.addHook("onClose", async () => {
    for (const close of open) close();
  });
  app.get("/v1/events", async (request, reply) => {
    const query = decodeOrThrow(EventStreamQuery, request.query, "query");
    if (open.size >= limits.sseMaxClients) {
      refused += 1;
      throw new ApiError(
        503,
        "event_streams_full",
        `${limits.sseMaxClients} event streams are open, the most this API serves at once; try again later`,
        { limit: limits.sseMaxClients },
        { "retry-after": "5" },
      );
    }
    reply.hijack();
    const raw: ServerResponse = reply.raw;
    raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    let closed = false;
    /** Write, unless more than the limit of what was written before still waits: then drop. */
    const send = (text: string) => {
      if (closed) return;
      // Bytes written but not yet taken by the client (this response's and its socket's buffers).
      const waiting = raw.writableLength;
      if (waiting > limits.sseMaxBufferBytes) drop(waiting);
      else raw.write(text);
    };
    const drop = (buffered: number) => {
      dropped += 1;
      const why = {
        reason: "slow_client",
        message: `the client read too slowly: ${buffered} bytes were waiting, more than the ${limits.sseMaxBufferBytes} allowed`,
      };
      // The response detaches from its socket once finished, and keep-alive would hold the
      // connection open: end the socket itself once the last message is out, or destroy it
      // (and free its buffers) if the client does not take it in time.
      const { socket } = raw;
      raw.once("finish", () => socket?.end());
      setTimeout(() => socket?.destroy(), DROP_GRACE_MS).unref();
      close(`event: dropped\ndata: ${JSON.stringify(why)}\n\n`);
    };
    const unsubscribe = deps.projection.onApplied((events) => {
      let chunk = "";
      for (const event of events) {
        if (query.jobId !== undefined && event.jobId !== query.jobId) continue;
        if (query.type !== undefined && event.type !== query.type) continue;
        chunk += messageOf(event);
      }
      if (chunk !== "") send(chunk);
    });
    const heartbeat = setInterval(() => send(": keep-alive\n\n"), HEARTBEAT_MS);
    heartbeat.unref();
    const close = (last?: string) => {
      if (closed) return;
      closed = true;
      open.delete(onServerClose);
      clearInterval(heartbeat);
      unsubscribe();
      raw.end(last);
    };
    const onServerClose = () => close();
    open.add(onServerClose);
    request.raw.on("close", () => close());
    send(": connected\n\n");
  });
  return () => ({ clients: open.size, dropped, refused });
};
