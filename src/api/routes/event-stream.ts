/**
 * `GET /v1/events`: Server-Sent Events of job events as the projector commits them, optionally
 * filtered by job id or event type. Each message is one envelope (`event:` its type, `id:`
 * `<jobId>:<seq>`); a comment line every 15 s keeps proxies from closing an idle stream.
 *
 * Bounded (ADR 0019): at most `sseMaxClients` streams at once (one more is refused with 503
 * `event_streams_full`), and a client that stops reading is dropped. Each stream hands its
 * socket at most about `sseMaxBufferBytes` (plus one message); the rest of a burst waits as
 * references to the message texts, which are made once and shared by every stream, and is
 * written as the socket drains. When new events come and more than `sseMaxBufferBytes` still
 * waits for the client (undelivered plus queued), the stream gets a final `event: dropped`
 * (with why) and is closed, and destroyed if the client still does not read. The test is made
 * per delivery, not per write: one commit may bring a burst larger than the limit, which a
 * reading client drains while the event loop runs; what is still there at the next delivery is
 * a client that does not keep up. A paused client so costs at most the limit plus one message
 * of its own, however long it stays.
 */
import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { Envelope } from "../../domain/index.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import type { ApiLimits } from "../limits.ts";
import { EventStreamQuery } from "../../contract/index.ts";
import { decodeOrThrow } from "../decode.ts";

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
  // Open streams never end on their own: close them when the server starts closing. preClose,
  // not onClose: fastify runs onClose after in-flight requests end, which a stream never does.
  const open = new Set<() => void>();
  let dropped = 0;
  let refused = 0;
  app.addHook("preClose", async () => {
    for (const close of open) close();
  });
  // No automatic HEAD route: a HEAD answer has no body, and this one would be a stream that never
  // ends (its headers never sent, the connection held). HEAD /v1/events is a 404 instead.
  app.get("/v1/events", { exposeHeadRoute: false }, async (request, reply) => {
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
    /** Messages not yet handed to the socket (texts shared with the other streams). */
    const queued: Array<string> = [];
    let queuedLength = 0;
    /** Hand queued messages to the socket while it holds no more than the limit. */
    const flush = () => {
      while (!closed && queued.length > 0 && raw.writableLength <= limits.sseMaxBufferBytes) {
        const text = queued.shift() as string;
        queuedLength -= text.length;
        raw.write(text);
      }
    };
    raw.on("drain", flush);
    /** Queue a delivery, unless more than the limit still waits from before: then drop. */
    const send = (texts: ReadonlyArray<string>) => {
      if (closed || texts.length === 0) return;
      // Written but not yet taken by the client (the response's and its socket's buffers), and queued.
      const waiting = raw.writableLength + queuedLength;
      if (waiting > limits.sseMaxBufferBytes) return drop(waiting);
      for (const text of texts) {
        queued.push(text);
        queuedLength += text.length;
      }
      flush();
    };
    const drop = (waiting: number) => {
      dropped += 1;
      queued.length = 0;
      queuedLength = 0;
      const why = {
        reason: "slow_client",
        message: `the client read too slowly: ${waiting} bytes were waiting for it, more than the ${limits.sseMaxBufferBytes} allowed`,
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
      const texts: Array<string> = [];
      for (const event of events) {
        if (query.jobId !== undefined && event.jobId !== query.jobId) continue;
        if (query.type !== undefined && event.type !== query.type) continue;
        texts.push(messageOf(event));
      }
      send(texts);
    });
    const heartbeat = setInterval(() => send([": keep-alive\n\n"]), HEARTBEAT_MS);
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
    raw.write(": connected\n\n");
  });
  return () => ({ clients: open.size, dropped, refused });
};
