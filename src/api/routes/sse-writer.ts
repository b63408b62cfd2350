/**
 * One Server-Sent Events response's writes, bounded (ADR 0019): the socket is handed at most
 * about `maxBufferBytes` (plus one message); the rest of a burst waits as references to the
 * message texts, which are made once and shared by every stream, and is written as the socket
 * drains. When new events come and more than `maxBufferBytes` still waits for the client
 * (undelivered plus queued), the stream gets a final `event: dropped` (with why) and is closed,
 * and destroyed if the client still does not read. The test is made per delivery, not per write:
 * one commit may bring a burst larger than the limit, which a reading client drains while the
 * event loop runs; what is still there at the next delivery is a client that does not keep up.
 *
 * A resumed stream's backlog is written with `replay`, which waits for the socket to drain
 * instead: it is read from the log page by page, as fast as the client takes it.
 *
 * Owned by one request; `close` ends it (the route's close, the server's preClose).
 */
import type { ServerResponse } from "node:http";

/** How long a dropped client has to take its final message before its socket is destroyed. */
const DROP_GRACE_MS = 10_000;

export class SseWriter {
  private closed = false;
  /** Texts not yet handed to the socket (message bodies shared with the other streams). */
  private readonly queued: Array<string> = [];
  private queuedLength = 0;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    private readonly raw: ServerResponse,
    private readonly maxBufferBytes: number,
    /** Told when the stream drops its client for reading too slowly. */
    private readonly onDrop: () => void,
  ) {
    raw.on("drain", () => this.flush());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  /** Hand queued texts to the socket while it holds no more than the limit. */
  private flush(): void {
    while (!this.closed && this.queued.length > 0 && this.raw.writableLength <= this.maxBufferBytes) {
      const text = this.queued.shift() as string;
      this.queuedLength -= text.length;
      this.raw.write(text);
    }
  }

  /** Queue a delivery, unless more than the limit still waits from before: then drop. */
  send(texts: ReadonlyArray<string>): void {
    if (this.closed || texts.length === 0) return;
    // Written but not yet taken by the client (the response's and its socket's buffers), and queued.
    const waiting = this.raw.writableLength + this.queuedLength;
    if (waiting > this.maxBufferBytes) return this.drop(waiting);
    for (const text of texts) {
      this.queued.push(text);
      this.queuedLength += text.length;
    }
    this.flush();
  }

  /** Write a backlog page, then wait until the client has taken it down to the limit. */
  async replay(texts: ReadonlyArray<string>): Promise<void> {
    for (const text of texts) {
      if (this.closed) return;
      this.raw.write(text);
    }
    while (!this.closed && this.raw.writableLength > this.maxBufferBytes)
      await new Promise<void>((resolve) => {
        const done = () => {
          this.raw.off("drain", done);
          this.raw.off("close", done);
          resolve();
        };
        this.raw.on("drain", done);
        this.raw.on("close", done);
      });
  }

  private drop(waiting: number): void {
    this.onDrop();
    this.queued.length = 0;
    this.queuedLength = 0;
    const why = {
      reason: "slow_client",
      message: `the client read too slowly: ${waiting} bytes were waiting for it, more than the ${this.maxBufferBytes} allowed`,
    };
    // The response detaches from its socket once finished, and keep-alive would hold the
    // connection open: end the socket itself once the last message is out, or destroy it
    // (and free its buffers) if the client does not take it in time.
    const { socket } = this.raw;
    this.raw.once("finish", () => socket?.end());
    setTimeout(() => socket?.destroy(), DROP_GRACE_MS).unref();
    this.close(`event: dropped\ndata: ${JSON.stringify(why)}\n\n`);
  }

  /** End the stream (with a last message), once. */
  close(last?: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.closeListeners) listener();
    this.raw.end(last);
  }
}
