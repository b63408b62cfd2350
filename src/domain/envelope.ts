/**
 * The event envelope and its hash chain — Docket's public audit format (ADR 0002).
 *
 * An envelope is a JobEvent plus `jobId`, `seq` (1..n per job), `schemaVersion`,
 * `machineVersion`, `prevHash` and `hash`, where
 *
 *   hash = lowercase hex SHA-256( RFC 8785 canonical JSON of the envelope without `hash` )
 *
 * and `prevHash` is the previous envelope's `hash`, or GENESIS_HASH for seq 1. Anyone holding a
 * JSON canonicaliser and SHA-256 can verify a history; nothing else is needed.
 *
 * One check serves both sides (ADR 0018): the writer refuses to append an envelope that
 * `envelopeProblem` finds fault with, and every reader decodes with `decodeEnvelope`, which runs
 * the same compiled check of the same schema. So nothing the write side accepts is refused by a
 * reader.
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import { canonicalJson, canonicalNumber, canonicalString, sha256Hex } from "./canonical-json.ts";
import {
  Actor,
  EVENT_SCHEMA_VERSION,
  EVENT_TYPES,
  EventData,
  type EventType,
  type JobEvent,
} from "./events.ts";
import { JobId } from "./job-id.ts";
import { PositiveInt, Timestamp } from "./job-spec.ts";
import { jsonProblem } from "./json-value.ts";
import { MACHINE_VERSION } from "./machine-version.ts";
import { compileCheck, type Problem } from "./schema-check.ts";

/** `prevHash` of every job's first event: 64 zeros. */
export const GENESIS_HASH = "0".repeat(64);

const NOT_LOWER_HEX = /[^0-9a-f]/;

/**
 * 64 lowercase hex digits. A length and a negated class: twice as fast as an anchored pattern,
 * and this runs twice per event written and read (ADR 0018).
 */
const isHash = (text: string): boolean => text.length === 64 && !NOT_LOWER_HEX.test(text);

export const Hash = Schema.String.check(
  Schema.makeFilter(isHash, { expected: "a SHA-256 hash: 64 lowercase hex digits" }),
);
export { JobId } from "./job-id.ts";

/**
 * The actor as an envelope holds it: every string in it well-formed (the events' own text fields
 * are `Text` already; the actor's are checked here, whatever fields Actor comes to have), since
 * RFC 8785 cannot hash a lone surrogate.
 */
export const EnvelopeActor = Actor.check(
  Schema.makeFilter(
    (actor: Actor) => {
      const problem = jsonProblem(actor);
      return problem === undefined ? undefined : { path: problem.path, issue: problem.message };
    },
    { expected: "an actor of well-formed text" },
  ),
);

const envelopeOf = <T extends EventType>(type: T) =>
  Schema.Struct({
    jobId: JobId,
    seq: PositiveInt,
    type: Schema.Literal(type),
    at: Timestamp,
    actor: EnvelopeActor,
    data: EventData[type],
    schemaVersion: Schema.Literal(EVENT_SCHEMA_VERSION),
    machineVersion: Schema.Literal(MACHINE_VERSION),
    prevHash: Hash,
    hash: Hash,
  });

/** Schema of a stored envelope, a union tagged by `type`. */
export const EnvelopeSchema = Schema.Union(EVENT_TYPES.map(envelopeOf));

export type Envelope = JobEvent & {
  readonly jobId: JobId;
  readonly seq: number;
  readonly schemaVersion: typeof EVENT_SCHEMA_VERSION;
  readonly machineVersion: typeof MACHINE_VERSION;
  readonly prevHash: string;
  readonly hash: string;
};

/** The members that are hashed: everything but `hash` itself. */
export type UnhashedEnvelope = Omit<Envelope, "hash">;

/** The members of an envelope's hashed text, in canonical (UTF-16 code unit) order. */
const HASHED_MEMBERS = [
  "actor",
  "at",
  "data",
  "jobId",
  "machineVersion",
  "prevHash",
  "schemaVersion",
  "seq",
  "type",
] as const;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  typeof (value as { toJSON?: unknown }).toJSON !== "function";

/**
 * True when `envelope` has exactly the envelope's members (and perhaps `hash`), each of the
 * type the fast path writes, and an actor of exactly `{ kind, id }`: then its canonical text
 * can be written from a template, without sorting or inspecting the members.
 */
const hasEnvelopeShape = (envelope: Record<string, unknown>): boolean => {
  const keys = Object.keys(envelope);
  if (keys.length !== (Object.hasOwn(envelope, "hash") ? 10 : 9)) return false;
  for (const key of HASHED_MEMBERS) if (!Object.hasOwn(envelope, key)) return false;
  const { actor } = envelope;
  return (
    isPlainObject(envelope) &&
    isPlainObject(actor) &&
    Object.keys(actor).length === 2 &&
    typeof actor.kind === "string" &&
    typeof actor.id === "string" &&
    typeof envelope.jobId === "string" &&
    typeof envelope.type === "string" &&
    typeof envelope.at === "string" &&
    typeof envelope.prevHash === "string" &&
    typeof envelope.seq === "number" &&
    typeof envelope.schemaVersion === "number" &&
    typeof envelope.machineVersion === "number" &&
    envelope.data !== undefined &&
    typeof envelope.data !== "symbol"
  );
};

/**
 * The canonical bytes that are hashed for an envelope (its `hash` member removed, if any).
 * An envelope of the usual shape is written from a template in canonical member order, with
 * only `data` canonicalised generically; anything else goes through the generic canonicaliser.
 * Both give RFC 8785 text (a property test compares them with the reference implementation).
 */
export const hashedText = (envelope: UnhashedEnvelope | Envelope): string => {
  const e = envelope as unknown as Record<string, unknown>;
  if (!hasEnvelopeShape(e)) {
    const { hash: _ignored, ...rest } = envelope as Envelope;
    return canonicalJson(rest);
  }
  const actor = e.actor as { kind: string; id: string };
  return (
    `{"actor":{"id":${canonicalString(actor.id)},"kind":${canonicalString(actor.kind)}}` +
    `,"at":${canonicalString(e.at as string)}` +
    `,"data":${canonicalJson(e.data)}` +
    `,"jobId":${canonicalString(e.jobId as string)}` +
    `,"machineVersion":${canonicalNumber(e.machineVersion as number)}` +
    `,"prevHash":${canonicalString(e.prevHash as string)}` +
    `,"schemaVersion":${canonicalNumber(e.schemaVersion as number)}` +
    `,"seq":${canonicalNumber(e.seq as number)}` +
    `,"type":${canonicalString(e.type as string)}}`
  );
};

export const computeHash = (envelope: UnhashedEnvelope | Envelope): string => sha256Hex(hashedText(envelope));

/** Where the next event of a job attaches: the job id, the last seq (0 if none), its hash. */
export interface ChainHead {
  readonly jobId: JobId;
  readonly version: number;
  readonly lastHash: string;
}

export const emptyHead = (jobId: JobId): ChainHead => ({ jobId, version: 0, lastHash: GENESIS_HASH });

/** What `seal` makes: the envelopes, their stored texts, and the head after them. */
export interface Sealed {
  readonly envelopes: ReadonlyArray<Envelope>;
  /**
   * Each envelope as JSON text, to store: its hashed (canonical) text with `hash` added as the
   * last member. It parses to exactly the envelope; made from the text the hash needed anyway,
   * so a writer need not serialise the envelope a second time.
   */
  readonly texts: ReadonlyArray<string>;
  readonly head: ChainHead;
}

/**
 * Wrap events in envelopes that continue the chain from `head`. Pure: the same head and events
 * always give the same envelopes. Returns the envelopes, their texts and the head after them.
 */
export const seal = (head: ChainHead, events: ReadonlyArray<JobEvent>): Sealed => {
  const envelopes: Array<Envelope> = [];
  const texts: Array<string> = [];
  let prevHash = head.lastHash;
  let seq = head.version;
  for (const event of events) {
    seq += 1;
    const unhashed = {
      jobId: head.jobId,
      seq,
      type: event.type,
      at: event.at,
      actor: event.actor,
      data: event.data,
      schemaVersion: EVENT_SCHEMA_VERSION,
      machineVersion: MACHINE_VERSION,
      prevHash,
    } as UnhashedEnvelope;
    const text = hashedText(unhashed);
    const hash = sha256Hex(text);
    envelopes.push({ ...unhashed, hash } as Envelope);
    // The hashed text is an object's ("{...}"): `hash` joins it as its last member.
    texts.push(`${text.slice(0, -1)},"hash":"${hash}"}`);
    prevHash = hash;
  }
  return { envelopes, texts, head: { jobId: head.jobId, version: seq, lastHash: prevHash } };
};

const decodeEnvelopeResult = Schema.decodeUnknownResult(EnvelopeSchema);
const checkEnvelope = compileCheck(EnvelopeSchema);

/**
 * Why `input` is not an envelope every reader accepts (the path to the first bad member and
 * what was expected there), or undefined when it is one. EnvelopeSchema's rules, compiled
 * (schema-check.ts): the writer calls it on every envelope before appending it.
 */
export const envelopeProblem = (input: unknown): Problem | undefined => checkEnvelope(input);

/**
 * Decode an untrusted value into an envelope (shape, versions, data), without checking its
 * hash. Failures carry a readable reason. The check is the writer's own (`envelopeProblem`);
 * an accepted value is returned as it is, since every member was checked.
 */
export const decodeEnvelope = (input: unknown): Result.Result<Envelope, string> => {
  const problem = checkEnvelope(input);
  if (problem === undefined) return Result.succeed(input as Envelope);
  // Refusals are rare: Effect's decoder words the reason, as readers have always reported it.
  const decoded = decodeEnvelopeResult(input, { onExcessProperty: "error" });
  return Result.fail(
    Result.isFailure(decoded)
      ? decoded.failure.message
      : `${problem.message}\n  at ${problem.path.map((key) => `[${JSON.stringify(String(key))}]`).join("")}`,
  );
};

/** The JobEvent inside an envelope (what the machine folds). */
export const eventOf = (envelope: Envelope): JobEvent =>
  ({ type: envelope.type, at: envelope.at, actor: envelope.actor, data: envelope.data }) as JobEvent;
