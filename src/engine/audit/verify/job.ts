/**
 * The checks of one job, as a pure function of what was read for it: its history entries, its
 * shard-log entries, its head and where the delivery side knows it from. Each check reports at
 * most one failure per job: the first seq at which it finds the job wrong.
 */
import {
  attemptsUsed,
  contextOf,
  eventOf,
  deadLetterReason,
  type JobState,
  type JobStatus,
  retryAllowed,
  statusOf,
  stepProblem,
  TERMINAL_STATES,
  initialState,
} from "../../../domain/index.ts";
import { anchorOf, type AuditedHistory, auditEntries } from "../audited-history.ts";
import type { JobLocation, RawHead, RawJobEntry } from "../ports.ts";
import type { VerifyFailure, VerifyNotice } from "./report.ts";

/** A shard-log entry that names the job in its `jobId` field, found by scanning the log. */
export interface LogRef {
  readonly entryId: string;
  readonly seq: string | null;
  /** An undecodable entry an operator quarantined, with its content unchanged (ADR 0019). */
  readonly quarantined?: boolean;
}

export interface JobEvidence {
  readonly jobId: string;
  /** The shard the job was found in, and the one its id hashes to. */
  readonly foundInShard: number;
  readonly expectedShard: number;
  /** The job's history: its index of log entry ids, with the entries they name (ADR 0027). */
  readonly entries: ReadonlyArray<RawJobEntry>;
  /** The shard-log entries that name the job, in log order. */
  readonly log: ReadonlyArray<LogRef>;
  readonly head: RawHead | null;
  /** Null when not looked up (the job's status needed no location). */
  readonly location: JobLocation | null;
}

export interface JobVerdict {
  readonly history: AuditedHistory;
  /** The status the good history folds to (null: no good event). */
  readonly status: JobStatus | null;
  readonly failures: ReadonlyArray<VerifyFailure>;
  readonly notices: ReadonlyArray<VerifyNotice>;
}

/** Does this job's status need its delivery location checked (inv. 9)? */
export const needsLocation = (status: string | null): boolean =>
  status !== null && !TERMINAL_STATES.has(status as JobStatus);

/** Stream entry ids compared in log order (`ms-seq`); null when either is not an entry id. */
export const compareEntryIds = (a: string, b: string): number | null => {
  const parse = (id: string) => /^(\d+)-(\d+)$/.exec(id);
  const [x, y] = [parse(a), parse(b)];
  if (x === null || y === null) return null;
  const order = (p: bigint, q: bigint) => (p < q ? -1 : p > q ? 1 : 0);
  return (
    order(BigInt(x[1] as string), BigInt(y[1] as string)) ||
    order(BigInt(x[2] as string), BigInt(y[2] as string))
  );
};

/** The `jobId` and `seq` an envelope text claims (null when it is not a JSON object). */
const claimed = (env: string | null): { jobId: unknown; seq: unknown } | null => {
  try {
    const value = JSON.parse(env ?? "null") as { jobId?: unknown; seq?: unknown } | null;
    return typeof value === "object" && value !== null ? { jobId: value.jobId, seq: value.seq } : null;
  } catch {
    return null;
  }
};

/**
 * Inv. 7, "nothing missing, nothing added", with each event stored once (ADR 0027): every
 * element of the job's history index names a distinct log entry, in log order, that the log
 * holds and that is this job's event of that seq (its fields and its envelope say so); and every
 * log entry that names the job is in its index.
 */
const shardLogFailure = (evidence: JobEvidence): VerifyFailure | null => {
  const { jobId, entries, log } = evidence;
  const found: Array<VerifyFailure> = [];
  const at = (seq: number, code: VerifyFailure["code"], message: string) =>
    found.push({ check: "shard_log", jobId, seq, code, message });
  const indexed = new Map<string, number>();
  let previous: string | null = null;
  entries.forEach((entry, index) => {
    const seq = index + 1;
    const place = `position ${seq} of the job's history`;
    const earlier = indexed.get(entry.entryId);
    if (earlier !== undefined)
      at(
        seq,
        "log_duplicate",
        `${place} names shard-log entry ${entry.entryId}, as position ${earlier} does`,
      );
    else indexed.set(entry.entryId, seq);
    const envelope = claimed(entry.env);
    if (!entry.inLog)
      at(seq, "log_missing", `${place} names shard-log entry ${entry.entryId}, which the log does not hold`);
    else if (entry.jobId !== jobId || entry.seq !== String(seq))
      at(
        seq,
        "log_mismatch",
        `${place} names shard-log entry ${entry.entryId}, which is job ${entry.jobId}'s seq ${entry.seq}`,
      );
    else if (envelope !== null && (envelope.jobId !== entry.jobId || String(envelope.seq) !== entry.seq))
      at(
        seq,
        "log_mismatch",
        `shard-log entry ${entry.entryId}'s fields (job ${entry.jobId}, seq ${entry.seq}) disagree with its envelope`,
      );
    else if (previous !== null && (compareEntryIds(entry.entryId, previous) ?? 1) <= 0)
      at(
        seq,
        "log_out_of_order",
        `${place} names shard-log entry ${entry.entryId}, which is not after ${previous}`,
      );
    previous = entry.entryId;
  });
  for (const ref of log)
    if (!indexed.has(ref.entryId))
      at(
        Number(ref.seq) || 0,
        "log_extra",
        `shard-log entry ${ref.entryId} claims to be seq ${ref.seq} of the job, which the job's history does not name`,
      );
  return found.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))[0] ?? null;
};

const attemptsFailure = (history: AuditedHistory): VerifyFailure | null => {
  const { jobId } = history;
  let before: JobState = initialState();
  for (const [i, envelope] of history.envelopes.entries()) {
    const after = history.states[i] as JobState;
    const context = contextOf(after);
    const fail = (code: VerifyFailure["code"], message: string): VerifyFailure => ({
      check: "attempts",
      jobId,
      seq: envelope.seq,
      code,
      message,
    });
    // Attempts that ended suspended are given back (ADR 0043).
    if (attemptsUsed(context) > context.maxAttempts)
      return fail(
        "attempts_exceeded",
        `${attemptsUsed(context)} attempts used exceed maxAttempts ${context.maxAttempts}`,
      );
    // A failure that allows no retry is followed by its JobDeadLettered, and only such a
    // failure is (ADR 0022). (A history that ends after it fails the history check.)
    const next = history.envelopes[i + 1];
    if (
      envelope.type === "AttemptFailed" &&
      !retryAllowed(contextOf(before), envelope.data.error) &&
      next !== undefined &&
      next.type !== "JobDeadLettered"
    )
      return fail("retry_after_exhaustion", `${next.type} follows a failure that allowed no retry`);
    if (envelope.type === "JobDeadLettered") {
      const failure = contextOf(before);
      const error = failure.lastError;
      if (statusOf(before) !== "failed" || error === null || retryAllowed(failure, error))
        return fail(
          "dead_letter_unjustified",
          "dead-lettered although the error was retryable and attempts remained",
        );
      if (envelope.data.reason !== deadLetterReason(error))
        return fail(
          "dead_letter_unjustified",
          `dead-lettered as ${envelope.data.reason}, but the failure says ${deadLetterReason(error)}`,
        );
    }
    before = after;
  }
  return null;
};

/**
 * Durable steps (ADR 0043): no step's result recorded twice, and no step run again once its
 * result was recorded — a later attempt must have used the recorded result.
 */
const stepsFailure = (history: AuditedHistory): VerifyFailure | null => {
  const problem = stepProblem(history.envelopes.map(eventOf));
  if (problem === undefined) return null;
  const envelope = history.envelopes[problem.index];
  return {
    check: "steps",
    jobId: history.jobId,
    seq: envelope?.seq ?? null,
    code: envelope?.type === "StepFailed" ? "step_rerun" : "step_recorded_twice",
    message: problem.message,
  };
};

const orphanFailure = (
  jobId: string,
  status: JobStatus,
  seq: number,
  location: JobLocation | null,
): VerifyFailure | null => {
  if (location === null || !needsLocation(status)) return null;
  const scheduled = status === "pending" || status === "failed" || status === "suspended";
  // A waiting job is held by the waiting index, which the dependency follower reads (ADR 0042).
  if (status === "waiting")
    return location.waiting
      ? null
      : {
          check: "not_orphaned",
          jobId,
          seq,
          code: "orphaned",
          message: "waiting but not in the waiting index",
        };
  const held = scheduled ? location.delayed : location.inWorkStream || location.pendingInGroup;
  if (held) return null;
  return {
    check: "not_orphaned",
    jobId,
    seq,
    code: "orphaned",
    message: scheduled
      ? `${status} but not in the delayed set`
      : `${status} but its work entry is neither in a work stream nor pending in the group`,
  };
};

export const verifyJob = (evidence: JobEvidence, options: { readonly drained: boolean }): JobVerdict => {
  const { jobId, head } = evidence;
  const failures: Array<VerifyFailure> = [];
  const notices: Array<VerifyNotice> = [];
  if (evidence.foundInShard !== evidence.expectedShard)
    failures.push({
      check: "shard_log",
      jobId,
      seq: null,
      code: "wrong_shard",
      message: `found in shard ${evidence.foundInShard}, but its id belongs to shard ${evidence.expectedShard}`,
    });
  const anchor = anchorOf(head);
  const history = auditEntries(jobId, evidence.entries, anchor ?? undefined);
  if (history.failure !== null)
    failures.push({
      check: history.failure.code === "anchor_mismatch" ? "head" : "history",
      jobId,
      seq: history.failure.seq,
      code: history.failure.code,
      message: history.failure.message,
    });
  const lastState = history.states[history.states.length - 1];
  const status = lastState === undefined ? null : statusOf(lastState);
  const lastSeq = history.envelopes.length;
  // A job recorded as evicted (JobEvicted, ADR 0034) has left Redis: its head is gone by design,
  // and its history is read from the archive.
  const evicted = history.failure === null && lastState !== undefined && contextOf(lastState).evicted;
  if (head === null && evidence.entries.length > 0 && !evicted)
    failures.push({
      check: "head",
      jobId,
      seq: evidence.entries.length,
      code: "head_missing",
      message: "the job has events but no head",
    });
  if (head !== null && history.failure === null && lastState !== undefined) {
    if (head.status !== status)
      failures.push({
        check: "head",
        jobId,
        seq: lastSeq,
        code: "head_status_mismatch",
        message: `head says ${head.status}, the history folds to ${status}`,
      });
    else if (head.attempt !== null && Number(head.attempt) !== contextOf(lastState).attempt)
      failures.push({
        check: "head",
        jobId,
        seq: lastSeq,
        code: "head_attempt_mismatch",
        message: `head says attempt ${head.attempt}, the history folds to ${contextOf(lastState).attempt}`,
      });
  }
  const logFailure = shardLogFailure(evidence);
  if (logFailure !== null) failures.push(logFailure);
  const attempts = attemptsFailure(history);
  if (attempts !== null) failures.push(attempts);
  const steps = stepsFailure(history);
  if (steps !== null) failures.push(steps);
  if (history.failure === null && status !== null && !TERMINAL_STATES.has(status)) {
    if (options.drained)
      failures.push({
        check: "terminal",
        jobId,
        seq: lastSeq,
        code: "not_terminal",
        message: `still ${status} after draining`,
      });
    else notices.push({ jobId, message: `not finished: ${status}` });
    const orphan = orphanFailure(jobId, status, lastSeq, evidence.location);
    if (orphan !== null) failures.push(orphan);
  }
  failures.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  return { history, status, failures, notices };
};
