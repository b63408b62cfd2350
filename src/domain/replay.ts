/**
 * Verifying and replaying a job's history.
 *
 * `verifyChain` checks the envelopes alone: job id, contiguous seq from 1, each `prevHash`
 * linking to the previous `hash` (GENESIS_HASH first), each `hash` recomputed, and optionally
 * an anchor (the head's last seq and hash) that catches a truncated or extended tail.
 * `replay` is strict: per event, in order, the chain check, the schema, then the machine; it
 * reports the first bad event by seq with a stable code and a reason. A whole history must not
 * end between a failure that allows no retry and its JobDeadLettered (they are one append).
 */
import * as Result from "effect/Result";
import { computeHash, decodeEnvelope, type Envelope, eventOf, GENESIS_HASH } from "./envelope.ts";
import type { JobStatus } from "./job-context.ts";
import { accepts, awaitsDeadLetter, evolve, initialState, type JobState, statusOf } from "./job-state.ts";

export type HistoryFailureCode =
  | "empty_history"
  | "job_id_mismatch"
  | "seq_gap"
  | "prev_hash_mismatch"
  | "hash_mismatch"
  | "invalid_envelope"
  | "illegal_transition"
  | "anchor_mismatch"
  /** The history ends after a failure that allows no retry, without its JobDeadLettered. */
  | "dead_letter_missing";

export interface HistoryFailure {
  /** The first seq at which the history is wrong (the position where seq `n` was expected). */
  readonly seq: number;
  readonly code: HistoryFailureCode;
  readonly reason: string;
}

/** What the head of a job (or a bundle header) says the history ends with. */
export interface ChainAnchor {
  readonly version: number;
  readonly lastHash: string;
}

export interface VerifyOptions {
  readonly anchor?: ChainAnchor;
  /**
   * The events are only the start of a history (a reader stopped at a problem of its own), so
   * where they end proves nothing: the last state is not judged (and no anchor applies).
   */
  readonly prefix?: boolean;
}

const fail = (seq: number, code: HistoryFailureCode, reason: string): HistoryFailure => ({
  seq,
  code,
  reason,
});

/** Checks that envelope `index` (0-based) links correctly after `previous`. */
const checkLink = (
  envelope: Envelope,
  index: number,
  jobId: string,
  previous: Envelope | undefined,
): HistoryFailure | undefined => checkNextLink(envelope, jobId, index + 1, previous?.hash ?? GENESIS_HASH);

/**
 * Checks one envelope against where its job's chain stands: its job id, `expectedSeq` and the
 * previous event's hash (GENESIS_HASH before seq 1), then recomputes its own hash. Exported for
 * checkers that stream many interleaved histories and keep only each chain's end (bundles).
 */
export const checkNextLink = (
  envelope: Envelope,
  jobId: string,
  expectedSeq: number,
  expectedPrev: string,
): HistoryFailure | undefined => {
  if (envelope.jobId !== jobId)
    return fail(expectedSeq, "job_id_mismatch", `event belongs to job ${envelope.jobId}, not ${jobId}`);
  if (envelope.seq !== expectedSeq)
    return fail(expectedSeq, "seq_gap", `expected seq ${expectedSeq}, found seq ${envelope.seq}`);
  if (envelope.prevHash !== expectedPrev)
    return fail(
      expectedSeq,
      "prev_hash_mismatch",
      `prevHash ${envelope.prevHash} does not link to ${expectedPrev}`,
    );
  const recomputed = computeHash(envelope);
  if (envelope.hash !== recomputed)
    return fail(expectedSeq, "hash_mismatch", `hash ${envelope.hash} differs from recomputed ${recomputed}`);
  return undefined;
};

const checkAnchor = (envelopes: ReadonlyArray<Envelope>, anchor: ChainAnchor): HistoryFailure | undefined => {
  const last = envelopes[envelopes.length - 1];
  const length = envelopes.length;
  if (length < anchor.version)
    return fail(length + 1, "anchor_mismatch", `history ends at seq ${length}, head says ${anchor.version}`);
  if (length > anchor.version)
    return fail(anchor.version + 1, "anchor_mismatch", `history goes past the head's seq ${anchor.version}`);
  if (last !== undefined && last.hash !== anchor.lastHash)
    return fail(
      length,
      "anchor_mismatch",
      `last hash ${last.hash} differs from the head's ${anchor.lastHash}`,
    );
  return undefined;
};

/**
 * Verify the hash chain of one job's envelopes (in the order given). Does not consult the
 * machine; use `replay` for that.
 */
export const verifyChain = (
  envelopes: ReadonlyArray<Envelope>,
  options: VerifyOptions = {},
): Result.Result<{ readonly version: number; readonly lastHash: string }, HistoryFailure> => {
  const first = envelopes[0];
  if (first === undefined)
    return Result.fail(fail(1, "empty_history", "a job history has at least one event"));
  for (let i = 0; i < envelopes.length; i++) {
    const envelope = envelopes[i] as Envelope;
    const failure = checkLink(envelope, i, first.jobId, envelopes[i - 1]);
    if (failure !== undefined) return Result.fail(failure);
  }
  const anchorFailure = options.anchor === undefined ? undefined : checkAnchor(envelopes, options.anchor);
  if (anchorFailure !== undefined) return Result.fail(anchorFailure);
  const last = envelopes[envelopes.length - 1] as Envelope;
  return Result.succeed({ version: last.seq, lastHash: last.hash });
};

export interface ReplayStep {
  readonly seq: number;
  readonly type: Envelope["type"];
  readonly status: JobStatus;
}

export interface ReplayReport {
  /** State after the last good event (the initial state if the first event is bad). */
  readonly state: JobState;
  /** One step per good event, with the state after it. */
  readonly steps: ReadonlyArray<ReplayStep>;
}

export interface ReplayFailure extends ReplayReport {
  readonly failure: HistoryFailure;
}

/**
 * Strict replay of untrusted input: decodes every envelope, verifies the chain and folds each
 * event through the machine, stopping at the first problem.
 */
export const replay = (
  inputs: ReadonlyArray<unknown>,
  options: VerifyOptions = {},
): Result.Result<ReplayReport, ReplayFailure> => {
  let state = initialState();
  const steps: Array<ReplayStep> = [];
  const envelopes: Array<Envelope> = [];
  const stop = (failure: HistoryFailure) => Result.fail({ state, steps, failure });
  if (inputs.length === 0) return stop(fail(1, "empty_history", "a job history has at least one event"));
  for (let i = 0; i < inputs.length; i++) {
    const decoded = decodeEnvelope(inputs[i]);
    if (Result.isFailure(decoded)) return stop(fail(i + 1, "invalid_envelope", decoded.failure));
    const envelope = decoded.success;
    const linkFailure = checkLink(envelope, i, (envelopes[0] ?? envelope).jobId, envelopes[i - 1]);
    if (linkFailure !== undefined) return stop(linkFailure);
    const event = eventOf(envelope);
    if (!accepts(state, event))
      return stop(
        fail(envelope.seq, "illegal_transition", `${event.type} is not allowed in state ${statusOf(state)}`),
      );
    state = evolve(state, event);
    envelopes.push(envelope);
    steps.push({ seq: envelope.seq, type: envelope.type, status: statusOf(state) });
  }
  const anchorFailure = options.anchor === undefined ? undefined : checkAnchor(envelopes, options.anchor);
  if (anchorFailure !== undefined) return stop(anchorFailure);
  if (options.prefix !== true && awaitsDeadLetter(state))
    return stop(deadLetterMissing(envelopes.length + 1));
  return Result.succeed({ state, steps });
};

/** The failure of a history that stops where its JobDeadLettered (at `seq`) should be. */
export const deadLetterMissing = (seq: number): HistoryFailure =>
  fail(
    seq,
    "dead_letter_missing",
    `the history ends after a failure that allows no retry; the JobDeadLettered appended with it (seq ${seq}) is missing`,
  );
