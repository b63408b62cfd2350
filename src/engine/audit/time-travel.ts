/**
 * Time travel: a job's state as it was at a given time, and which jobs were in a status then.
 *
 * Semantics (docs/audit.md): the state "at T" is the fold of the longest prefix of the job's
 * history whose events all have `at <= T`. The log order is the truth: should a writer's clock
 * have stamped an event earlier than its predecessor, it counts from its predecessor's time, so
 * the answer is always a legal state the job really passed through. A job whose first event is
 * after T did not exist at T (`existed: false`). Times are inclusive: an event at exactly T has
 * happened at T.
 */
import * as Data from "effect/Data";
import * as Result from "effect/Result";
import {
  accepts,
  decodeEnvelope,
  type Envelope,
  eventOf,
  evolve,
  initialState,
  type JobState,
  type JobStatus,
  MAX_DATE_MS,
  statusOf,
} from "../../domain/index.ts";
import { entryDigest, type JobView, viewOf } from "../read/index.ts";
import { TimeSlice } from "../shared/index.ts";
import {
  anchorOf,
  type AuditedHistory,
  auditEntries,
  type Finding,
  type StateSummary,
  summarize,
} from "./audited-history.ts";
import type { AuditSource } from "./ports.ts";
import { shardLogEntries } from "./shard-log.ts";

/**
 * A whole-log scan (time travel over all jobs) would read more entries than it may: refused
 * before any work, so one request cannot occupy the process for minutes (ADR 0019).
 */
export class ScanLimitExceeded extends Data.TaggedError("ScanLimitExceeded")<{
  readonly entries: number;
  readonly limit: number;
}> {
  override get message(): string {
    return `answering needs a scan of ${this.entries} log entries, more than the ${this.limit} allowed (DOCKET_TIME_TRAVEL_MAX_ENTRIES); ask about one job (GET /v1/jobs/:id/state?at=) or export the log (docket audit export)`;
  }
}

const ISO_LIKE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/**
 * Date.parse moves a day the month has not to the next month (2023-02-29 is 2023-03-01) and
 * reads T24:00 as the next day's midnight: an instant asked for with such a date is refused,
 * not silently another one (the envelope's own timestamps refuse them too).
 */
const inCalendar = (text: string): boolean => {
  const field = (at: number, length: number): number => Number(text.slice(at, at + length));
  const [year, month, day] = [field(0, 4), field(5, 2), field(8, 2)];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  return day <= days && (text.length === 10 || field(11, 2) <= 23);
};

/**
 * Parse a point in time given as epoch milliseconds (a number, or a string of digits) or an
 * ISO 8601 date-time. Returns epoch ms within what a Date holds (±MAX_DATE_MS), or a reason for
 * the caller's 400 / usage error.
 */
export const parseInstant = (input: string | number): Result.Result<number, string> => {
  if (typeof input === "number")
    return !Number.isSafeInteger(input)
      ? Result.fail(`${input} is not a whole epoch ms`)
      : Math.abs(input) > MAX_DATE_MS
        ? Result.fail(`${input} is beyond what a date holds (±${MAX_DATE_MS} ms from 1970)`)
        : Result.succeed(input);
  const text = input.trim();
  if (/^\d+$/.test(text)) return parseInstant(Number(text));
  const ms = ISO_LIKE.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) return Result.fail(`"${input}" is neither epoch milliseconds nor an ISO 8601 time`);
  return inCalendar(text)
    ? Result.succeed(ms)
    : Result.fail(`"${input}" names a day or hour the calendar does not have`);
};

export interface StateAt {
  readonly jobId: string;
  /** The time asked about, as ISO. */
  readonly asOf: string;
  /** False when the job's first event is after `asOf`. */
  readonly existed: boolean;
  /** The last event folded (0 when none). */
  readonly seq: number;
  readonly eventAt: string | null;
  readonly state: StateSummary | null;
  /** The job as API clients see it (same shape as GET /v1/jobs/:id), as of then. */
  readonly view: JobView | null;
  /**
   * Set when the history is broken before the answer was complete: the state shown is the
   * last one that can be trusted, which may be earlier than `asOf`.
   */
  readonly failure: Finding | null;
}

/** The state of an audited history as of `asOfMs` (pure). */
export const stateAt = (history: AuditedHistory, asOfMs: number): StateAt => {
  let count = 0;
  for (const envelope of history.envelopes) {
    if (Date.parse(envelope.at) > asOfMs) break;
    count++;
  }
  const stoppedByFailure = count === history.envelopes.length && history.failure !== null;
  const last = history.envelopes[count - 1];
  const state = history.states[count - 1];
  return {
    jobId: history.jobId,
    asOf: new Date(asOfMs).toISOString(),
    existed: count > 0,
    seq: last?.seq ?? 0,
    eventAt: last?.at ?? null,
    state: state === undefined ? null : summarize(state),
    view: count === 0 ? null : viewOf(history.envelopes.slice(0, count)),
    failure: stoppedByFailure ? history.failure : null,
  };
};

/** A stored job's state as of `asOfMs`; null when the store knows nothing of the job. */
export const jobStateAt = async (
  source: AuditSource,
  jobId: string,
  asOfMs: number,
): Promise<StateAt | null> => {
  const [entries, head] = await Promise.all([source.readJobHistory(jobId), source.readHead(jobId)]);
  if (entries.length === 0 && head === null) return null;
  return stateAt(auditEntries(jobId, entries, anchorOf(head) ?? undefined), asOfMs);
};

export interface JobsInStatusAt {
  readonly status: JobStatus;
  readonly asOf: string;
  /** Jobs in `status` at `asOf`, sorted by id (ids are time-ordered). */
  readonly jobIds: ReadonlyArray<string>;
  /** Log entries read and jobs seen, for the cost of the answer. */
  readonly scanned: { readonly entries: number; readonly jobs: number };
  /** Jobs whose log entries could not be folded; their state at `asOf` is unknown. */
  readonly unreadable: ReadonlyArray<{
    readonly jobId: string;
    readonly seq: number;
    readonly reason: string;
  }>;
}

interface Folding {
  state: JobState;
  seq: number;
  /** An event after `asOf` was reached (or the job is unreadable): later entries are ignored. */
  done: boolean;
}

/**
 * Which jobs were in `status` at `asOfMs`. Scans every shard log from the start and folds each
 * job up to `asOf`: O(log entries) time, O(jobs) memory. It reads the log without re-verifying
 * hashes (use verify for that); entries that do not decode or fold are reported as unreadable,
 * except quarantined ones (ADR 0019), which are skipped as the projections skip them.
 * A projection could answer this from SQLite later; this is the reference answer.
 *
 * Bounded (ADR 0019): with `maxEntries`, a log longer than that fails at once with
 * ScanLimitExceeded, before any work (and so does one that grows past it during the scan); the
 * fold yields to the event loop every few milliseconds, so the process keeps answering.
 */
export const jobsInStatusAt = async (
  source: AuditSource,
  status: JobStatus,
  asOfMs: number,
  options: { readonly maxEntries?: number } = {},
): Promise<JobsInStatusAt> => {
  const maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
  if (Number.isFinite(maxEntries)) {
    let length = 0;
    for (let shard = 0; shard < source.shards; shard++) length += await source.logLength(shard);
    if (length > maxEntries) throw new ScanLimitExceeded({ entries: length, limit: maxEntries });
  }
  const quarantined = new Map(
    (await source.quarantine()).records.map((r) => [`${r.shard}/${r.entryId}`, r.digest]),
  );
  const jobs = new Map<string, Folding>();
  const unreadable: Array<{ jobId: string; seq: number; reason: string }> = [];
  const slice = new TimeSlice();
  let entries = 0;
  for (let shard = 0; shard < source.shards; shard++)
    for await (const entry of shardLogEntries(source, shard)) {
      entries++;
      if (entries > maxEntries) throw new ScanLimitExceeded({ entries, limit: maxEntries });
      if (entries % 256 === 0) await slice.yieldIfDue();
      if (quarantined.get(`${shard}/${entry.entryId}`) === entryDigest(entry)) continue;
      const jobId = entry.jobId ?? "";
      const folding = jobs.get(jobId) ?? { state: initialState(), seq: 0, done: false };
      jobs.set(jobId, folding);
      if (folding.done) continue;
      const envelope = decodeLogEnvelope(entry.env);
      const refuse = (reason: string) => {
        folding.done = true;
        unreadable.push({ jobId, seq: folding.seq + 1, reason });
      };
      if (typeof envelope === "string") refuse(envelope);
      else if (Date.parse(envelope.at) > asOfMs) folding.done = true;
      else if (envelope.jobId !== jobId || envelope.seq !== folding.seq + 1)
        refuse(`expected ${jobId} seq ${folding.seq + 1}, found ${envelope.jobId} seq ${envelope.seq}`);
      else if (!accepts(folding.state, eventOf(envelope)))
        refuse(`${envelope.type} is not allowed in state ${statusOf(folding.state)}`);
      else {
        folding.state = evolve(folding.state, eventOf(envelope));
        folding.seq = envelope.seq;
      }
    }
  const unknown = new Set(unreadable.map((u) => u.jobId));
  const jobIds = [...jobs]
    .filter(([id, f]) => f.seq > 0 && !unknown.has(id) && statusOf(f.state) === status)
    .map(([id]) => id)
    .sort();
  return {
    status,
    asOf: new Date(asOfMs).toISOString(),
    jobIds,
    scanned: { entries, jobs: jobs.size },
    unreadable,
  };
};

const decodeLogEnvelope = (text: string | null): Envelope | string => {
  try {
    const decoded = decodeEnvelope(JSON.parse(text ?? "null"));
    return Result.isSuccess(decoded) ? decoded.success : decoded.failure;
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
};
