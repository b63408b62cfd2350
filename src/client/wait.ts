/**
 * Following one job until it ends, over the event stream instead of polling: the job's view is
 * read (fresh: folded from its own history), then its stream is opened from that view's version
 * (`Last-Event-ID: <jobId>:<version>`), so nothing that happens between the two is missed; each
 * event newer than the view brings a fresh read (events that came meanwhile are then already in
 * it). When the stream ends (the API stopped, restarted, dropped a slow reader) or the API does
 * not answer, the same is done again after a pause, from the last view: a restart costs a
 * reconnection, never an event.
 */
import { DocketApiError } from "./errors.ts";
import { readEventStream } from "./event-stream.ts";
import type { Transport } from "./transport.ts";
import type { JobStatus, JobView, WaitOptions } from "./types.ts";

const ENDED: ReadonlySet<JobStatus> = new Set(["completed", "cancelled", "dead_letter"]);
export const isEnded = (view: JobView): boolean => ENDED.has(view.status);

/** First pause before reconnecting, doubled each failure in a row up to the last. */
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 2_000;

/** What a restart or an outage looks like from here: worth another try, unlike a refusal. */
const isTransient = (error: unknown): boolean =>
  error instanceof DocketApiError
    ? error.status >= 500 || error.status === 429 || error.status === 408
    : error instanceof TypeError || (error instanceof Error && error.name === "TimeoutError");

export const waitForJob = async (http: Transport, id: string, options: WaitOptions): Promise<JobView> => {
  const path = `/v1/jobs/${encodeURIComponent(id)}`;
  const deadline =
    options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  let view: JobView | undefined;
  const timedOut = () =>
    new DocketApiError(
      408,
      "wait_timeout",
      `job ${id} is still ${view?.status ?? "unread"} after ${options.timeoutMs} ms`,
      { jobId: id, ...(view === undefined ? {} : { status: view.status }) },
    );
  /** Take a fresh view; tell the caller when it changed. */
  const read = async (signal: AbortSignal): Promise<JobView> => {
    const latest = await http.call<JobView>("GET", path, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]),
    });
    if (view === undefined || latest.version !== view.version) {
      view = latest;
      options.onUpdate?.(latest);
    }
    return latest;
  };
  let pauseMs = RECONNECT_FIRST_MS;
  for (;;) {
    const stop = new AbortController();
    const timer = Number.isFinite(deadline)
      ? setTimeout(() => stop.abort(), Math.max(0, deadline - Date.now()))
      : undefined;
    try {
      let current = await read(stop.signal);
      if (isEnded(current)) return current;
      const stream = readEventStream(http, {
        jobId: id,
        lastEventId: `${id}:${current.version}`,
        signal: stop.signal,
      });
      for await (const { event } of stream) {
        pauseMs = RECONNECT_FIRST_MS;
        if (event.seq <= current.version) continue;
        current = await read(stop.signal);
        if (isEnded(current)) return current;
      }
      // The server ended the stream: open it again from where the view stands.
    } catch (error) {
      if (Date.now() >= deadline) throw timedOut();
      if (!isTransient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pauseMs, deadline - Date.now())));
      pauseMs = Math.min(pauseMs * 2, RECONNECT_MAX_MS);
    } finally {
      clearTimeout(timer);
      stop.abort();
    }
    if (Date.now() >= deadline) throw timedOut();
  }
};
