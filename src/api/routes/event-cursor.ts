/**
 * Where an event stream stands, what its messages' `id:` say, and what a `Last-Event-ID` header
 * resumes from (`GET /v1/events`, README "Live events").
 *
 * - A stream of one job (`?jobId=`) stands at that job's seq: `id: <jobId>:<seq>`. Resuming from
 *   `<jobId>:<n>` sends the job's events after seq n, read from its own history.
 * - Any other stream stands at a position in the log: the last entry id it has passed in each
 *   shard log, `id: <e0>,<e1>,…` (one `<ms>-<seq>` per shard, "0-0" before the first). Resuming
 *   from it sends, shard by shard, the log's entries after those positions.
 *
 * Either way the cursor lets an event through once: an event at or before where the stream
 * stands is dropped, so a resumed stream that reads its backlog from Redis while the projector
 * delivers the same events live (it lags the log) sends each once, in order, with no gap.
 */
import { type Envelope, MAX_JOB_ID_LENGTH } from "../../domain/index.ts";
import { compareEntryIds, type LogEntry } from "../../engine/read/index.ts";
import { ApiError } from "../errors.ts";

/** Entry ids as a stream id carries them: bounded, so every one is a valid Redis stream id. */
const ENTRY_ID = /^\d{1,16}-\d{1,16}$/;
/** Seqs of a job stream's ids: a job's event count never comes near it. */
const MAX_SEQ_DIGITS = 12;

export interface StreamFilter {
  readonly jobId?: string;
  readonly type?: string;
}

const invalid = (message: string): ApiError =>
  new ApiError(400, "invalid_last_event_id", `Last-Event-ID: ${message}`, { field: "Last-Event-ID" });

export abstract class EventCursor {
  constructor(protected readonly filter: StreamFilter) {}

  /** The id of the message for an event this cursor just let through. */
  abstract id(): string;

  /** True (and the cursor moves past it) when the entry is after where the stream stands. */
  protected abstract advance(entry: LogEntry): boolean;

  /** Whether to send this entry: new to the stream, and one the filter wants. */
  admits(entry: LogEntry): boolean {
    if (this.filter.jobId !== undefined && entry.envelope.jobId !== this.filter.jobId) return false;
    if (!this.advance(entry)) return false;
    return this.filter.type === undefined || entry.envelope.type === this.filter.type;
  }
}

/** A stream of one job's events, at its seq. */
export class JobCursor extends EventCursor {
  constructor(
    filter: StreamFilter & { readonly jobId: string },
    private seq: number,
  ) {
    super(filter);
  }

  get jobId(): string {
    return this.filter.jobId as string;
  }

  get after(): number {
    return this.seq;
  }

  /** The job's events (seq order) from its own history, as entries (their log position unknown). */
  static entriesOf(events: ReadonlyArray<Envelope>): ReadonlyArray<LogEntry> {
    return events.map((envelope) => ({ shard: -1, entryId: "", envelope }));
  }

  id(): string {
    return `${this.jobId}:${this.seq}`;
  }

  protected advance(entry: LogEntry): boolean {
    if (entry.envelope.seq <= this.seq) return false;
    this.seq = entry.envelope.seq;
    return true;
  }
}

/** Any other stream, at a position in each shard log. */
export class LogCursor extends EventCursor {
  constructor(
    filter: StreamFilter,
    private readonly positions: Array<string>,
  ) {
    super(filter);
  }

  /** Where it stands in each shard (a copy). */
  get at(): ReadonlyArray<string> {
    return [...this.positions];
  }

  id(): string {
    return this.positions.join(",");
  }

  /** Move past a log entry that is not an event (undecodable): there is nothing to send. */
  pass(position: { readonly shard: number; readonly entryId: string }): void {
    this.advance(position);
  }

  protected advance(position: { readonly shard: number; readonly entryId: string }): boolean {
    const at = this.positions[position.shard];
    if (at === undefined || compareEntryIds(position.entryId, at) <= 0) return false;
    this.positions[position.shard] = position.entryId;
    return true;
  }
}

/**
 * The cursor a new stream starts with: from `Last-Event-ID` when given (resume), else where the
 * projector stands now (`checkpoints`: what it delivers next comes after them) for a log stream,
 * or seq 0 — everything it delivers from now on — for a job stream. Throws a 400
 * `invalid_last_event_id` for an id this kind of stream never sends.
 */
export const cursorFor = (
  filter: StreamFilter,
  lastEventId: string | undefined,
  shards: number,
  checkpoints: ReadonlyArray<{ readonly shard: number; readonly entryId: string }>,
): { readonly cursor: EventCursor; readonly resumed: boolean } => {
  const resumed = lastEventId !== undefined && lastEventId !== "";
  if (filter.jobId !== undefined) {
    const jobFilter = { ...filter, jobId: filter.jobId };
    if (!resumed) return { cursor: new JobCursor(jobFilter, 0), resumed };
    const colon = lastEventId.lastIndexOf(":");
    const seqText = lastEventId.slice(colon + 1);
    if (
      colon < 0 ||
      colon > MAX_JOB_ID_LENGTH ||
      lastEventId.slice(0, colon) !== filter.jobId ||
      !/^\d+$/.test(seqText) ||
      seqText.length > MAX_SEQ_DIGITS
    )
      throw invalid(`a stream of job ${filter.jobId} resumes from "${filter.jobId}:<seq>"`);
    return { cursor: new JobCursor(jobFilter, Number(seqText)), resumed };
  }
  if (!resumed) {
    const positions = Array.from({ length: shards }, () => "0-0");
    for (const { shard, entryId } of checkpoints) if (shard < shards) positions[shard] = entryId;
    return { cursor: new LogCursor(filter, positions), resumed };
  }
  const positions = lastEventId.split(",");
  if (positions.length !== shards || !positions.every((id) => ENTRY_ID.test(id)))
    throw invalid(
      `a stream of the log resumes from one entry id per shard ("<ms>-<seq>", ${shards} separated by commas), the id of its last message`,
    );
  return { cursor: new LogCursor(filter, positions), resumed };
};
