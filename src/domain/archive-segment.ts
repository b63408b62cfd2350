/**
 * A sealed archive segment's entries (ADR 0028): each shard-log entry as the log held it — its
 * stream entry id and its fields, name and value alternating, in stored order — written as one
 * line of RFC 8785 canonical JSON, `{"fields":[…],"id":"…"}`. The line's UTF-8 bytes are the
 * entry's Merkle leaf (merkle.ts), so a segment file's root can be recomputed line by line with
 * nothing but SHA-256. Pure.
 */
import * as Result from "effect/Result";
import { canonicalJson } from "./canonical-json.ts";
import { decodeEnvelope, type Envelope } from "./envelope.ts";
import { merkleLeafHashOfText } from "./merkle.ts";

export interface ArchivedEntry {
  /** The shard-log stream entry id, "ms-seq". */
  readonly id: string;
  /** Name, value, name, value… as the entry stored them. */
  readonly fields: ReadonlyArray<string>;
}

const ENTRY_ID = /^[0-9]{1,20}-[0-9]{1,20}$/;

/**
 * An entry's size as a segment's bound counts it: its fields' lengths (UTF-16 code units). Its
 * line is longer (escaping, the id), by at most a small factor: each character escapes to at
 * most six.
 */
export const entryChars = (entry: ArchivedEntry): number => {
  let chars = entry.id.length;
  for (const field of entry.fields) chars += field.length;
  return chars;
};

/** The entry's line in a segment file (no newline): its canonical JSON. */
export const archivedEntryLine = (entry: ArchivedEntry): string =>
  canonicalJson({ fields: entry.fields, id: entry.id });

/** The entry's Merkle leaf hash: over its line's UTF-8 bytes. */
export const archivedEntryLeaf = (line: string): Uint8Array => merkleLeafHashOfText(line);

/** One line of a segment file back into its entry, or why it is not one (also: not canonical). */
export const parseArchivedEntryLine = (line: string): ArchivedEntry | string => {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not an object";
  const { id, fields } = value as { id?: unknown; fields?: unknown };
  if (typeof id !== "string" || !ENTRY_ID.test(id)) return "no entry id";
  if (!Array.isArray(fields) || fields.length % 2 !== 0 || !fields.every((f) => typeof f === "string"))
    return "fields are not name/value strings";
  const entry = { id, fields: fields as Array<string> };
  // One spelling per entry, so one root per segment: a re-encoded line is an edited line.
  if (archivedEntryLine(entry) !== line) return "the line is not in canonical form";
  return entry;
};

/** Order of two stream entry ids ("ms-seq"), numerically. */
/** The milliseconds part of a stream entry id (`<ms>-<seq>`): the Redis server's time it was added. */
export const streamIdMs = (entryId: string): number => Number(entryId.slice(0, entryId.indexOf("-")));

export const compareStreamIds = (a: string, b: string): number => {
  const [am, as] = a.split("-").map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split("-").map(BigInt) as [bigint, bigint];
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
};

/**
 * The envelope an archived entry carries, read as a shard-log reader reads it (the `env` field,
 * decoded with the writer's own check, agreeing with the entry's `jobId` and `seq` fields), or
 * why it carries none.
 */
export const envelopeOfArchivedEntry = (entry: ArchivedEntry): Envelope | string => {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < entry.fields.length; i += 2)
    fields.set(entry.fields[i] as string, entry.fields[i + 1] as string);
  const env = fields.get("env");
  if (env === undefined) return "no env field";
  let parsed: unknown;
  try {
    parsed = JSON.parse(env);
  } catch (error) {
    return `env is not JSON (${(error as Error).message})`;
  }
  const decoded = decodeEnvelope(parsed);
  if (Result.isFailure(decoded)) return decoded.failure;
  const envelope = decoded.success;
  if (fields.get("jobId") !== envelope.jobId || fields.get("seq") !== String(envelope.seq))
    return `entry fields (jobId ${fields.get("jobId")}, seq ${fields.get("seq")}) disagree with its envelope`;
  return envelope;
};
