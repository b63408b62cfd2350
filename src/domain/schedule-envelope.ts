/**
 * A schedule's event envelopes: the job envelope's hash chain (ADR 0002) around schedule events
 * (ADR 0037). `schedule` stands where a job envelope has `jobId`; otherwise the members, the
 * genesis hash and the hash (SHA-256 of the RFC 8785 canonical JSON of the envelope without
 * `hash`) are the job envelope's, so the same tools verify both.
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import { canonicalJson, sha256Hex } from "./canonical-json.ts";
import { EnvelopeActor, GENESIS_HASH, Hash } from "./envelope.ts";
import { EVENT_SCHEMA_VERSION } from "./events.ts";
import { PositiveInt, Timestamp } from "./job-spec.ts";
import {
  foldSchedule,
  SCHEDULE_EVENT_TYPES,
  type ScheduleEvent,
  ScheduleEventData,
  type ScheduleEventType,
  ScheduleName,
  type ScheduleState,
} from "./schedule.ts";

/** The version of the schedule machine the events were decided by. */
export const SCHEDULE_MACHINE_VERSION = 1;

const envelopeOf = <T extends ScheduleEventType>(type: T) =>
  Schema.Struct({
    schedule: ScheduleName,
    seq: PositiveInt,
    type: Schema.Literal(type),
    at: Timestamp,
    actor: EnvelopeActor,
    data: ScheduleEventData[type],
    schemaVersion: Schema.Literal(EVENT_SCHEMA_VERSION),
    machineVersion: Schema.Literal(SCHEDULE_MACHINE_VERSION),
    prevHash: Hash,
    hash: Hash,
  });

export const ScheduleEnvelopeSchema = Schema.Union(SCHEDULE_EVENT_TYPES.map(envelopeOf));

export type ScheduleEnvelope = ScheduleEvent & {
  readonly schedule: string;
  readonly seq: number;
  readonly schemaVersion: typeof EVENT_SCHEMA_VERSION;
  readonly machineVersion: typeof SCHEDULE_MACHINE_VERSION;
  readonly prevHash: string;
  readonly hash: string;
};

/** Where a schedule's next event attaches. */
export interface ScheduleHead {
  readonly schedule: string;
  readonly version: number;
  readonly lastHash: string;
}

export const emptyScheduleHead = (schedule: string): ScheduleHead => ({
  schedule,
  version: 0,
  lastHash: GENESIS_HASH,
});

const hashOf = (envelope: Omit<ScheduleEnvelope, "hash"> | ScheduleEnvelope): string => {
  const { hash: _ignored, ...rest } = envelope as ScheduleEnvelope;
  return sha256Hex(canonicalJson(rest));
};

/** Wrap events in envelopes continuing the chain from `head` (pure). */
export const sealSchedule = (
  head: ScheduleHead,
  events: ReadonlyArray<ScheduleEvent>,
): { readonly envelopes: ReadonlyArray<ScheduleEnvelope>; readonly head: ScheduleHead } => {
  const envelopes: Array<ScheduleEnvelope> = [];
  let { version: seq, lastHash: prevHash } = head;
  for (const event of events) {
    seq += 1;
    const unhashed = {
      schedule: head.schedule,
      seq,
      type: event.type,
      at: event.at,
      actor: event.actor,
      data: event.data,
      schemaVersion: EVENT_SCHEMA_VERSION,
      machineVersion: SCHEDULE_MACHINE_VERSION,
      prevHash,
    } as Omit<ScheduleEnvelope, "hash">;
    prevHash = hashOf(unhashed);
    envelopes.push({ ...unhashed, hash: prevHash } as ScheduleEnvelope);
  }
  return { envelopes, head: { schedule: head.schedule, version: seq, lastHash: prevHash } };
};

const decodeResult = Schema.decodeUnknownResult(ScheduleEnvelopeSchema);

/**
 * Decode an untrusted value into a schedule envelope. Effect's decoder, not the job envelopes'
 * compiled check (schema-check.ts does not take the empty data of a pause): schedule histories
 * are short and read rarely.
 */
export const decodeScheduleEnvelope = (input: unknown): Result.Result<ScheduleEnvelope, string> => {
  const decoded = decodeResult(input, { onExcessProperty: "error" });
  return Result.isSuccess(decoded)
    ? Result.succeed(input as ScheduleEnvelope)
    : Result.fail(decoded.failure.message);
};

export const scheduleEventOf = (envelope: ScheduleEnvelope): ScheduleEvent =>
  ({ type: envelope.type, at: envelope.at, actor: envelope.actor, data: envelope.data }) as ScheduleEvent;

export type ScheduleHistoryReport =
  | { readonly ok: true; readonly events: number; readonly state: ScheduleState; readonly lastHash: string }
  | { readonly ok: false; readonly seq: number; readonly code: string; readonly message: string };

/**
 * Verify a schedule's whole history: every envelope decodes, `seq` runs 1..n, each `prevHash`
 * is the previous `hash` (genesis first), each `hash` is right, and the machine accepts every
 * event in order.
 */
export const verifyScheduleHistory = (
  schedule: string,
  entries: ReadonlyArray<unknown>,
): ScheduleHistoryReport => {
  const events: Array<ScheduleEvent> = [];
  let prevHash = GENESIS_HASH;
  for (const [index, entry] of entries.entries()) {
    const seq = index + 1;
    const decoded = decodeScheduleEnvelope(entry);
    if (Result.isFailure(decoded))
      return { ok: false, seq, code: "invalid_envelope", message: decoded.failure };
    const envelope = decoded.success;
    if (envelope.schedule !== schedule)
      return { ok: false, seq, code: "wrong_schedule", message: `belongs to ${envelope.schedule}` };
    if (envelope.seq !== seq)
      return { ok: false, seq, code: "seq_gap", message: `seq ${envelope.seq} where ${seq} was due` };
    if (envelope.prevHash !== prevHash)
      return { ok: false, seq, code: "chain_broken", message: "prevHash is not the previous hash" };
    if (hashOf(envelope) !== envelope.hash)
      return { ok: false, seq, code: "hash_mismatch", message: "hash does not match the envelope" };
    prevHash = envelope.hash;
    events.push(scheduleEventOf(envelope));
  }
  const folded = foldSchedule(events);
  if ("refused" in folded)
    return {
      ok: false,
      seq: folded.refused + 1,
      code: "illegal_transition",
      message: `${events[folded.refused]?.type} is not allowed in state ${folded.state.status}`,
    };
  return { ok: true, events: events.length, state: folded.state, lastHash: prevHash };
};
