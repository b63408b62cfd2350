/**
 * The live feed: one `GET /v1/events` stream for the whole page, read with fetch (the typed
 * client's `stream`, eventsource-parser) rather than EventSource, which cannot send the bearer
 * token in a header. On a break it reconnects with the last id seen, so the API resumes after
 * it (ADR 0035) and no event is missed or repeated; pages subscribe to what they show.
 */
import type { DocketClient, Envelope } from "../src/client/index.ts";

export type LiveState = "connecting" | "live" | "reconnecting" | "stopped";

type Listener = (event: Envelope) => void;

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

export class LiveEvents {
  private readonly listeners = new Set<Listener>();
  private readonly stateListeners = new Set<(state: LiveState) => void>();
  private readonly abort = new AbortController();
  private lastEventId: string | undefined;
  state: LiveState = "connecting";

  constructor(
    private readonly client: DocketClient,
    private readonly onUnauthorized: (error: unknown) => boolean,
  ) {
    void this.run();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  stop(): void {
    this.abort.abort();
    this.setState("stopped");
  }

  private setState(state: LiveState): void {
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }

  private async run(): Promise<void> {
    let delay = RETRY_MIN_MS;
    while (!this.abort.signal.aborted) {
      try {
        const stream = this.client.stream({
          signal: this.abort.signal,
          ...(this.lastEventId === undefined ? {} : { lastEventId: this.lastEventId }),
        });
        this.setState("live");
        for await (const message of stream) {
          this.lastEventId = message.id;
          delay = RETRY_MIN_MS;
          for (const listener of this.listeners) listener(message.event);
        }
      } catch (error) {
        if (this.abort.signal.aborted || this.onUnauthorized(error)) return;
      }
      this.setState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }
}
