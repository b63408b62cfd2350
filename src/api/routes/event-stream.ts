/**
 * `GET /v1/events`: Server-Sent Events of job events as the projector commits them, optionally
 * filtered by job id or event type, resumable: a client that reconnects with `Last-Event-ID`
 * (as EventSource does by itself) gets the events after it, read from the log in Redis, then the
 * live ones, each once and in order (event-cursor.ts says what the ids are). A comment line
 * every 15 s keeps proxies from closing an idle stream.
 *
 * Bounded (ADR 0019): at most `sseMaxClients` streams at once (one more is refused with 503
 * `event_streams_full`), and a client that stops reading is dropped (sse-writer.ts). A resumed
 * stream's backlog is written as fast as the client takes it, page by page; what the projector
 * delivers meanwhile is held (at most MAX_HELD entries, else the stream is dropped: the client
 * can resume again from its last id) and sent after the backlog, less what the backlog had.
 *
 * The first part of the backlog is read before the answer starts, so an unknown id form is a
 * 400 `invalid_last_event_id` and Redis being away a 503 `queue_unavailable`; a failure later
 * ends the stream, and the client resumes from the last id it got.
 */
import type { FastifyInstance } from "fastify";
import type { Envelope } from "../../domain/index.ts";
import type { LogEntry, LogRecord } from "../../engine/read/index.ts";
import { JobNotFound } from "../../engine/shared/index.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import type { ApiLimits } from "../limits.ts";
import { EventStreamQuery } from "../../contract/index.ts";
import { decodeOrThrow } from "../decode.ts";
import { cursorFor, type EventCursor, JobCursor, LogCursor } from "./event-cursor.ts";
import { SseWriter } from "./sse-writer.ts";

const HEARTBEAT_MS = 15_000;
/** Log entries read per round trip while a resumed stream catches up. */
const BACKLOG_PAGE = 500;
/** Live entries held for a stream still sending its backlog; beyond this it is dropped. */
const MAX_HELD = 50_000;

/** The last message of a resumed stream that held more live events than it may. */
const OVERFLOW = `event: dropped\ndata: ${JSON.stringify({
  reason: "slow_client",
  message: "the client took its backlog too slowly; resume from the last id",
})}\n\n`;

/** Each event's message text after its id line, made once however many streams send it. */
const bodies = new WeakMap<Envelope, string>();
const bodyOf = (event: Envelope): string => {
  let text = bodies.get(event);
  if (text === undefined) {
    text = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    bodies.set(event, text);
  }
  return text;
};

/** The texts for the entries this stream's cursor lets through: its id line, then the shared body. */
const messagesOf = (cursor: EventCursor, records: ReadonlyArray<LogRecord>): Array<string> => {
  const texts: Array<string> = [];
  for (const record of records) {
    if (!("envelope" in record)) {
      if (cursor instanceof LogCursor) cursor.pass(record);
      continue;
    }
    if (cursor.admits(record)) texts.push(`id: ${cursor.id()}\n`, bodyOf(record.envelope));
  }
  return texts;
};

/** The one Last-Event-ID header (a repeated one is refused: which would it be?). */
const lastEventIdOf = (header: string | ReadonlyArray<string> | undefined): string | undefined => {
  if (typeof header === "string" || header === undefined) return header;
  throw new ApiError(400, "invalid_last_event_id", "Last-Event-ID: given more than once", {
    field: "Last-Event-ID",
  });
};

/** The events figures for /v1/metrics and /metrics. */
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
  /** Resumed streams reading their first backlog page, not yet open: they count as open. */
  let starting = 0;
  app.addHook("preClose", async () => {
    for (const close of open) close();
  });

  /** A job stream's backlog: the job's events after the cursor, from its own history. */
  const jobBacklog = async (cursor: JobCursor): Promise<ReadonlyArray<LogEntry>> => {
    try {
      return JobCursor.entriesOf(await deps.jobs.events(cursor.jobId));
    } catch (error) {
      // A job not (yet) submitted has no backlog; its events come live.
      if (error instanceof JobNotFound) return [];
      throw error;
    }
  };

  /** The next page of a log stream's backlog: the first shard with entries after the cursor. */
  const logPage = async (cursor: LogCursor): Promise<ReadonlyArray<LogRecord>> => {
    const at = cursor.at;
    for (let shard = 0; shard < at.length; shard += 1) {
      const page = await deps.projection.logAfter(shard, at[shard] as string, BACKLOG_PAGE);
      if (page.length > 0) return page;
    }
    return [];
  };

  // No automatic HEAD route: a HEAD answer has no body, and this one would be a stream that never
  // ends (its headers never sent, the connection held). HEAD /v1/events is a 404 instead.
  app.get("/v1/events", { exposeHeadRoute: false }, async (request, reply) => {
    const query = decodeOrThrow(EventStreamQuery, request.query, "query");
    const lastEventId = lastEventIdOf(request.headers["last-event-id"]);
    if (open.size + starting >= limits.sseMaxClients) {
      refused += 1;
      throw new ApiError(
        503,
        "event_streams_full",
        `${limits.sseMaxClients} event streams are open, the most this API serves at once; try again later`,
        { limit: limits.sseMaxClients },
        { "retry-after": "5" },
      );
    }
    const { cursor, resumed } = cursorFor(
      query,
      lastEventId,
      deps.projection.shards,
      deps.reads.checkpoints(),
    );
    // Subscribe before reading any backlog: what the projector commits from now on is held until
    // the backlog is out, so nothing committed meanwhile is missed (the cursor drops repeats).
    let held: Array<LogEntry> | null = resumed ? [] : null;
    /** More was held than MAX_HELD: the stream ends (as soon as it has started). */
    let overflowed = false;
    let writer: SseWriter | null = null;
    const unsubscribe = deps.projection.onApplied((entries) => {
      if (held === null) return writer?.send(messagesOf(cursor, entries));
      if (overflowed) return;
      if (held.length + entries.length <= MAX_HELD) return void held.push(...entries);
      overflowed = true;
      held.length = 0;
      writer?.close(OVERFLOW);
    });
    let first: ReadonlyArray<LogRecord> = [];
    starting += 1;
    try {
      if (resumed)
        first = cursor instanceof JobCursor ? await jobBacklog(cursor) : await logPage(cursor as LogCursor);
    } catch (error) {
      unsubscribe();
      throw error;
    } finally {
      starting -= 1;
    }

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    const stream = new SseWriter(raw, limits.sseMaxBufferBytes, () => {
      dropped += 1;
    });
    stream.onClose(() => {
      if (overflowed) dropped += 1;
    });
    writer = stream;
    const heartbeat = setInterval(() => stream.send([": keep-alive\n\n"]), HEARTBEAT_MS);
    heartbeat.unref();
    const onServerClose = () => stream.close();
    stream.onClose(() => {
      open.delete(onServerClose);
      clearInterval(heartbeat);
      unsubscribe();
    });
    open.add(onServerClose);
    request.raw.on("close", () => stream.close());
    // The client may have gone while the first backlog page was read (before the listener).
    if (request.raw.destroyed || raw.socket === null || raw.socket.destroyed) return stream.close();
    raw.write(": connected\n\n");
    if (overflowed) return stream.close(OVERFLOW);
    if (!resumed) return;

    try {
      let page = first;
      await stream.replay(messagesOf(cursor, page));
      // A log stream reads on until the log has nothing after it; a job's history came whole.
      while (cursor instanceof LogCursor && page.length > 0 && !stream.isClosed) {
        page = await logPage(cursor);
        await stream.replay(messagesOf(cursor, page));
      }
    } catch (error) {
      request.log.warn({ err: error }, "an event stream's backlog could not be read; the stream ends");
      stream.close();
      return;
    }
    if (overflowed) return stream.close(OVERFLOW);
    const live = held ?? [];
    held = null;
    stream.send(messagesOf(cursor, live));
  });
  return () => ({ clients: open.size, dropped, refused });
};
