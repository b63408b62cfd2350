/**
 * The checks of one job, as a pure function of what was read for it: its history entries, its
 * shard-log entries, its head and where the delivery side knows it from. Each check reports at
 * most one failure per job: the first seq at which it finds the job wrong.
 */
import {
  contextOf,
  deadLetterReason,
  type JobState,
  type JobStatus,
  retryAllowed,
  sha256Hex,
  statusOf,
  TERMINAL_STATES,
  initialState,
} from "../../../domain/index.ts";
import { anchorOf, type AuditedHistory, auditEntries } from "../audited-history.ts";
import type { JobLocation, RawHead, RawJobEntry } from "../ports.ts";
import type { VerifyFailure, VerifyNotice } from "./report.ts";

/** A shard-log entry of the job, reduced to what the comparison needs (a digest, not the text). */
export interface LogRef {
  readonly entryId: string;
  readonly seq: string | null;
  /** SHA-256 of the stored envelope text (null when the entry has no env). */
  readonly envDigest: string | null;
  /** An undecodable entry an operator quarantined, with its content unchanged (ADR 0019). */
  readonly quarantined?: boolean;
}

export interface JobEvidence {
  readonly jobId: string;
  /** The shard the job was found in, and the one its id hashes to. */
  readonly foundInShard: number;
  readonly expectedShard: number;
  readonly entries: ReadonlyArray<RawJobEntry>;
  /** The job's shard-log entries in log order. */
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

export const digestOf = (env: string | null): string | null => (env === null ? null : sha256Hex(env));

/** Does this job's status need its delivery location checked (inv. 9)? */
export const needsLocation = (status: string | null): boolean =>
  status !== null && !TERMINAL_STATES.has(status as JobStatus);

const shardLogFailure = (evidence: JobEvidence): VerifyFailure | null => {
  const { jobId, entries, log } = evidence;
  const found: Array<VerifyFailure> = [];
  const at = (seq: number, code: VerifyFailure["code"], message: string) =>
    found.push({ check: "shard_log", jobId, seq, code, message });
  const bySeq = new Map<string, Array<LogRef>>();
  for (const ref of log) bySeq.set(ref.seq ?? "", [...(bySeq.get(ref.seq ?? "") ?? []), ref]);
  const streamSeqs = new Set<string>();
  entries.forEach((entry, index) => {
    const seqText = entry.seq ?? String(index + 1);
    const seq = Number(seqText) || index + 1;
    streamSeqs.add(seqText);
    const refs = bySeq.get(seqText) ?? [];
    if (refs.length === 0) at(seq, "log_missing", `seq ${seqText} is not in the shard log`);
    else if (refs.length > 1)
      at(
        seq,
        "log_duplicate",
        `seq ${seqText} appears ${refs.length} times in the shard log (${refs.map((r) => r.entryId).join(", ")})`,
      );
    else if (refs[0]?.envDigest !== digestOf(entry.env))
      at(
        seq,
        "log_mismatch",
        `shard-log entry ${refs[0]?.entryId} differs from the job's own entry ${entry.entryId}`,
      );
  });
  for (const [seqText, refs] of bySeq)
    if (!streamSeqs.has(seqText))
      at(
        Number(seqText) || 0,
        "log_extra",
        `shard-log entry ${refs[0]?.entryId} claims seq ${seqText}, which the job's own history does not have`,
      );
  let previous = 0;
  for (const ref of log) {
    const seq = Number(ref.seq);
    if (seq <= previous) {
      at(
        seq,
        "log_out_of_order",
        `shard-log entry ${ref.entryId} (seq ${ref.seq}) comes after seq ${previous}`,
      );
      break;
    }
    previous = seq;
  }
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
    if (context.attempt > context.maxAttempts)
      return fail(
        "attempts_exceeded",
        `attempt ${context.attempt} exceeds maxAttempts ${context.maxAttempts}`,
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

const orphanFailure = (
  jobId: string,
  status: JobStatus,
  seq: number,
  location: JobLocation | null,
): VerifyFailure | null => {
  if (location === null || !needsLocation(status)) return null;
  const scheduled = status === "pending" || status === "failed";
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
  if (head === null && evidence.entries.length > 0)
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
