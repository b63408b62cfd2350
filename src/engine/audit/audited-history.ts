/**
 * One job's stored history, decoded and judged: the longest good prefix, the machine state
 * after each of its events, and the first bad event if any.
 *
 * Every audit tool (replay report, time travel, explain, verify) starts here, so they all agree
 * on what "the history" is. The rules are the domain's strict `replay` (schema, chain, machine,
 * anchor); this module only adds what a store can get wrong around the envelope itself: text
 * that is not JSON, a job id that is not the one asked for.
 *
 * Also here: the summary of a machine state an auditor reads (status and the context fields that
 * decide what may happen next), the same shape after each event of a replay and in time travel;
 * and the chain anchor a stored head claims.
 */
import * as Result from "effect/Result";
import {
  type AttemptError,
  type ChainAnchor,
  contextOf,
  decodeEnvelope,
  type Envelope,
  eventOf,
  evolve,
  type HistoryFailureCode,
  initialState,
  type JobContext,
  type JobState,
  type JobStatus,
  type Json,
  type Progress,
  replay,
  statusOf,
} from "../../domain/index.ts";
import type { RawHead, RawJobEntry } from "./ports.ts";

export type HistoryCode = HistoryFailureCode | "malformed_entry";

/** The first thing wrong with a job's history: where (seq), what (a stable code) and why. */
export interface Finding {
  readonly seq: number;
  readonly code: HistoryCode;
  readonly message: string;
}

export interface AuditedHistory {
  readonly jobId: string;
  /** The good prefix, in seq order. */
  readonly envelopes: ReadonlyArray<Envelope>;
  /** `states[i]` is the machine state after `envelopes[i]`. */
  readonly states: ReadonlyArray<JobState>;
  readonly failure: Finding | null;
}

const parse = (text: string | null): Result.Result<unknown, string> => {
  if (text === null) return Result.fail("the entry has no env field");
  try {
    return Result.succeed(JSON.parse(text) as unknown);
  } catch (error) {
    return Result.fail(`the env field is not JSON: ${(error as Error).message}`);
  }
};

/** Fold a prefix that strict replay already accepted, keeping the state after each event. */
const foldAccepted = (values: ReadonlyArray<unknown>): { envelopes: Envelope[]; states: JobState[] } => {
  const envelopes: Array<Envelope> = [];
  const states: Array<JobState> = [];
  let state = initialState();
  for (const value of values) {
    const decoded = decodeEnvelope(value);
    if (Result.isFailure(decoded)) break; // cannot happen: replay decoded it already
    state = evolve(state, eventOf(decoded.success));
    envelopes.push(decoded.success);
    states.push(state);
  }
  return { envelopes, states };
};

/**
 * Judge already-parsed envelope values (from a store or a bundle) of job `jobId`, optionally
 * against an anchor (the head's version and last hash).
 */
export const auditValues = (
  jobId: string,
  values: ReadonlyArray<unknown>,
  anchor?: ChainAnchor,
  earlyStop?: Finding,
): AuditedHistory => {
  const result = replay(
    values,
    earlyStop !== undefined ? { prefix: true } : anchor === undefined ? {} : { anchor },
  );
  const accepted = Result.isSuccess(result) ? result.success.steps.length : result.failure.steps.length;
  const { envelopes, states } = foldAccepted(values.slice(0, accepted));
  let failure: Finding | null = Result.isFailure(result)
    ? {
        seq: result.failure.failure.seq,
        code: result.failure.failure.code,
        message: result.failure.failure.reason,
      }
    : (earlyStop ?? null);
  const first = envelopes[0];
  if (first !== undefined && first.jobId !== jobId)
    failure = {
      seq: 1,
      code: "job_id_mismatch",
      message: `event belongs to job ${first.jobId}, not ${jobId}`,
    };
  return { jobId, envelopes, states, failure };
};

/** Judge a job's stored history entries: each must be JSON, then as auditValues. */
export const auditEntries = (
  jobId: string,
  entries: ReadonlyArray<RawJobEntry>,
  anchor?: ChainAnchor,
): AuditedHistory => {
  const values: Array<unknown> = [];
  let earlyStop: Finding | undefined;
  for (const [index, entry] of entries.entries()) {
    const seq = index + 1;
    const parsed = entry.inLog
      ? parse(entry.env)
      : Result.fail(`the shard log does not hold entry ${entry.entryId}, which the job's history names`);
    if (Result.isFailure(parsed)) {
      earlyStop = { seq, code: "malformed_entry", message: `entry ${entry.entryId}: ${parsed.failure}` };
      break;
    }
    values.push(parsed.success);
  }
  return auditValues(jobId, values, anchor, earlyStop);
};

/**
 * The parts of a job's machine state an auditor reads: its status and the context fields that
 * decide what may happen next (attempts, due time, last error, progress, result).
 */
export interface StateSummary {
  readonly status: JobStatus;
  /** Attempts started so far (the current lease epoch). */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** When a pending job, or a failed job's retry, becomes due. */
  readonly dueAt: string | null;
  readonly lastError: AttemptError | null;
  readonly progress: Progress | null;
  readonly result: Json | null;
  /** Durable steps (ADR 0043): step outcomes recorded (StepCompleted and StepFailed). */
  readonly steps: number;
  /** Attempts that ended suspended (they do not count against maxAttempts). */
  readonly suspensions: number;
  /** What a suspended job waits for (null otherwise). */
  readonly suspension: JobContext["suspension"];
}

export const summarize = (state: JobState): StateSummary => {
  const context = contextOf(state);
  return {
    status: statusOf(state),
    attempt: context.attempt,
    maxAttempts: context.maxAttempts,
    dueAt: context.dueAt,
    lastError: context.lastError,
    progress: context.progress,
    steps: context.steps,
    suspensions: context.suspensions,
    suspension: context.suspension,
    result: context.result,
  };
};

/** The chain anchor a stored head claims (its version and last hash), or null with no head. */
export const anchorOf = (head: RawHead | null): ChainAnchor | null =>
  head === null || head.version === null
    ? null
    : { version: Number(head.version), lastHash: head.lastHash ?? "" };
