/**
 * Helpers on shard-log entries as the EventLog port hands them back: ordering stream entry ids,
 * telling an event from an undecodable entry, and the digest that names an entry's stored
 * content (what a checkpoint on it and a quarantine record of it store).
 */
import { sha256Hex } from "../../domain/index.ts";
import type { LogEntry, LogRecord } from "./ports.ts";

const idParts = (id: string): [number, number] => {
  const [ms, seq] = id.split("-");
  return [Number(ms), Number(seq ?? 0)];
};

/** Order of two stream entry ids ("ms-seq"). */
export const compareEntryIds = (a: string, b: string): number => {
  const [am, as] = idParts(a);
  const [bm, bs] = idParts(b);
  return am !== bm ? am - bm : as - bs;
};

/** The time (epoch ms) a stream entry id was appended at. */
export const entryIdMs = (id: string): number => idParts(id)[0];

export const isEvent = (record: LogRecord): record is LogEntry => "envelope" in record;

/**
 * An attempt's failure that allows no retry: its job's JobDeadLettered was appended with it, in
 * the same script call, and is the next entry of the same shard log (ADR 0022). A reader that
 * committed one without the other would show the job `failed` with nothing scheduled.
 */
export const awaitsItsDeadLetter = (record: LogRecord | undefined): record is LogEntry =>
  record !== undefined &&
  isEvent(record) &&
  record.envelope.type === "AttemptFailed" &&
  record.envelope.data.retryAt === undefined;

/** Is `next` the dead letter that `failure` (awaitsItsDeadLetter) was appended with? */
export const isDeadLetterOf = (failure: LogEntry, next: LogRecord | undefined): boolean =>
  next !== undefined &&
  isEvent(next) &&
  next.shard === failure.shard &&
  next.envelope.type === "JobDeadLettered" &&
  next.envelope.jobId === failure.envelope.jobId;

/**
 * The digest of a shard-log entry as stored: SHA-256 over the three fields a reader decodes
 * (`jobId`, `seq`, `env`, null when absent). The projector stores it as the checkpoint hash of a
 * quarantined entry, and the auditor compares it with the quarantine record.
 */
export const entryDigest = (fields: {
  readonly jobId: string | null;
  readonly seq: string | null;
  readonly env: string | null;
}): string => sha256Hex(JSON.stringify([fields.jobId, fields.seq, fields.env]));

/** What a checkpoint on this record stores as its hash: the event's hash, or the entry's digest. */
export const recordHash = (record: LogRecord): string =>
  isEvent(record) ? record.envelope.hash : record.digest;
