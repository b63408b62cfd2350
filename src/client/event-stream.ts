/**
 * The client's reading of `GET /v1/events` (Server-Sent Events): the answer's body parsed by
 * eventsource-parser into messages, each a job event with the id the server gave it. Resuming is
 * the caller's: pass the last id seen as `lastEventId` and the server sends what came after it.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { Transport } from "./transport.ts";
import type { Envelope } from "./types.ts";

export interface StreamOptions {
  /** Only this job's events (ids are then `<jobId>:<seq>`; `<jobId>:0` resumes from its start). */
  readonly jobId?: string;
  /** Only events of this type. */
  readonly type?: string;
  /** Resume after the message with this id (the `id` of the last message received). */
  readonly lastEventId?: string;
  /** Ends the stream (the generator then throws the signal's reason). */
  readonly signal?: AbortSignal;
}

/** One message of the stream: a job event, and the id to resume after it. */
export interface StreamMessage {
  readonly id: string;
  readonly event: Envelope;
}

export async function* readEventStream(
  http: Transport,
  options: StreamOptions,
): AsyncGenerator<StreamMessage> {
  const query = new URLSearchParams();
  if (options.jobId !== undefined) query.set("jobId", options.jobId);
  if (options.type !== undefined) query.set("type", options.type);
  const qs = query.toString();
  const path = `/v1/events${qs === "" ? "" : `?${qs}`}`;
  const response = await http.send("GET", path, {
    headers: {
      accept: "text/event-stream",
      ...(options.lastEventId === undefined ? {} : { "last-event-id": options.lastEventId }),
    },
    // The stream lasts as long as the caller wants it: no timeout of its own.
    ...(options.signal === undefined ? { timeoutMs: 0 } : { signal: options.signal }),
  });
  if (!response.ok || response.body === null) {
    await http.json<never>("GET", path, response);
    return;
  }
  const received: Array<EventSourceMessage> = [];
  const parser = createParser({ onEvent: (message) => received.push(message) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    // Messages without an id are not events (`dropped`: the server is closing the stream).
    for (const message of received.splice(0))
      if (message.id !== undefined && message.event !== "dropped")
        yield { id: message.id, event: JSON.parse(message.data) as Envelope };
  }
}
