/**
 * Explain: a plain-language account of why a job ended where it did — its attempts and their
 * errors, timeouts, reclaimed leases, who retried or cancelled it and why. A pure function of
 * the (already audited) history: structured sentences an API can return as JSON (the CLI renders
 * them as text, src/cli/render/explain.ts). `explainJob` reads and audits a stored job first.
 */
import {
  type Actor,
  type AttemptError,
  type Backoff,
  type Envelope,
  eventOf,
  evolve,
  initialState,
  type JobContext,
  type JobStatus,
  attemptsUsed,
  statusOf,
} from "../../domain/index.ts";
import { anchorOf, auditEntries, type AuditedHistory, type Finding } from "./audited-history.ts";
import type { AuditSource } from "./ports.ts";

export type SentenceKind =
  | "submitted"
  | "queued"
  | "attempt_started"
  | "completed"
  | "attempt_failed"
  | "timeout"
  | "lease_expired"
  | "no_handler"
  | "dead_lettered"
  | "cancelled"
  | "manual_retry"
  | "evicted"
  | "step_completed"
  | "step_failed"
  | "suspended"
  | "signal_received"
  | "dependency_ended"
  | "released"
  | "failed_by_dependency";

export interface Sentence {
  readonly seq: number;
  readonly at: string;
  readonly actor: Actor;
  readonly kind: SentenceKind;
  readonly text: string;
}

export interface AttemptRecord {
  readonly attempt: number;
  readonly startedAt: string;
  readonly startedBy: Actor;
  readonly endedAt: string | null;
  readonly outcome: "running" | "completed" | "failed" | "cancelled" | "suspended";
  readonly error: AttemptError | null;
  readonly progressReports: number;
  readonly logLines: number;
  /** Durable steps this attempt ran and recorded (ADR 0043); replayed ones are not recorded again. */
  readonly steps: number;
}

export interface Explanation {
  readonly jobId: string;
  readonly status: JobStatus | null;
  readonly jobType: string;
  readonly queue: string;
  readonly attemptsUsed: number;
  readonly maxAttempts: number;
  /** One or two sentences: where the job ended and why. */
  readonly summary: string;
  readonly sentences: ReadonlyArray<Sentence>;
  readonly attempts: ReadonlyArray<AttemptRecord>;
  /** Set when the history is broken: the account covers only the events before it. */
  readonly integrity: Finding | null;
}

export const describeDuration = (ms: number): string => {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1_000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
};

/** The actor in words; a `Docket-Actor` header's claim is shown as such, never as the identity. */
const who = (actor: Actor): string =>
  `${actor.kind} ${actor.id}${actor.unauthenticatedClaim === undefined ? "" : ` (claimed, unauthenticated: ${actor.unauthenticatedClaim})`}`;
const between = (from: string, to: string): string => describeDuration(Date.parse(to) - Date.parse(from));
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
const dependencies = (n: number): string => `${n} ${n === 1 ? "dependency" : "dependencies"}`;

const describeBackoff = (backoff: Backoff): string =>
  backoff.type === "fixed"
    ? `fixed backoff of ${describeDuration(backoff.delayMs)}`
    : `exponential backoff from ${describeDuration(backoff.delayMs)}`;

const failureText = (
  e: Extract<Envelope, { type: "AttemptFailed" }>,
  before: JobContext,
  attempt: AttemptRecord | undefined,
): { kind: SentenceKind; text: string } => {
  const { error } = e.data;
  const n = e.data.attempt;
  const opening = ((): { kind: SentenceKind; text: string } => {
    switch (error.code) {
      case "lease_expired":
        return {
          kind: "lease_expired",
          text: `Attempt ${n} was abandoned: its worker${attempt === undefined ? "" : ` (${who(attempt.startedBy)})`} stopped renewing its lease, and ${who(e.actor)} reclaimed it (lease_expired).`,
        };
      case "timeout":
        return { kind: "timeout", text: `Attempt ${n} timed out on ${who(e.actor)}: ${error.message}.` };
      case "no_handler":
        return {
          kind: "no_handler",
          text: `Attempt ${n} could not run: ${who(e.actor)} has no handler for job type "${before.jobType}" (no_handler).`,
        };
      default:
        return {
          kind: "attempt_failed",
          text: `Attempt ${n} failed on ${who(e.actor)} with ${error.code}: ${error.message}.`,
        };
    }
  })();
  // Without a retry, the JobDeadLettered that follows says what became of the job.
  const consequence =
    e.data.retryAt === undefined
      ? ""
      : ` A retry was scheduled for ${e.data.retryAt} (${between(e.at, e.data.retryAt)} later).`;
  return { kind: opening.kind, text: `${opening.text}${consequence}` };
};

const stepName = (data: { readonly name: string; readonly index?: number }): string =>
  data.index === undefined ? `"${data.name}"` : `"${data.name}" [${data.index}]`;

const queuedText = (e: Extract<Envelope, { type: "JobQueued" }>, before: JobContext): string => {
  switch (e.data.reason) {
    case "retry_due":
      return `The retry came due; ${who(e.actor)} queued it again.`;
    case "sleep_elapsed":
      return `Its sleep "${before.suspension?.name ?? "?"}" ended; ${who(e.actor)} queued it to resume.`;
    case "wait_timed_out":
      return `Its wait for the signal "${before.suspension?.name ?? "?"}" timed out; ${who(e.actor)} queued it to resume.`;
    case "signal_received":
      return `The signal "${before.suspension?.name ?? "?"}" it suspended for had arrived while its attempt ran: it was queued again at once.`;
    case "delay_elapsed":
      return `Its start time came; ${who(e.actor)} queued it.`;
  }
};

/** Why the job was dead-lettered, in the event's own terms. */
const deadLetterText = (e: Extract<Envelope, { type: "JobDeadLettered" }>): string => {
  const { reason, attempt, maxAttempts } = e.data;
  return reason === "not_retryable"
    ? "The error is not retryable, so the job was dead-lettered."
    : `That was the last allowed attempt (${attempt} of ${maxAttempts}), so the job was dead-lettered.`;
};

const summaryOf = (
  status: JobStatus | null,
  context: JobContext,
  last: Envelope | undefined,
  attempts: ReadonlyArray<AttemptRecord>,
): string => {
  if (status === null || last === undefined) return "The job has no readable history.";
  const used = `${attemptsUsed(context)} of ${context.maxAttempts}`;
  const failedBefore = attempts.filter((a) => a.outcome === "failed").length;
  const error = context.lastError;
  const errorText = error === null ? "" : ` (${error.code}: ${error.message})`;
  switch (status) {
    case "completed":
      return `Completed on attempt ${used} at ${last.at}${failedBefore > 0 ? `, after ${plural(failedBefore, "failed attempt")}` : ""}.`;
    case "dead_letter": {
      if (last.type === "JobFailedByDependency")
        return `Dead-lettered by policy at ${last.at}: dependency ${last.data.dependency} ${last.data.status === "dead_letter" ? "was dead-lettered" : "was cancelled"}.`;
      // Otherwise entered only by JobDeadLettered: its reason is the answer.
      if (last.type !== "JobDeadLettered")
        return `Dead-lettered at ${last.at} after attempt ${used}${errorText}.`;
      const { reason, attempt, maxAttempts } = last.data;
      const why =
        reason === "not_retryable"
          ? "its last error is not retryable"
          : `all ${plural(maxAttempts, "allowed attempt")} were used`;
      return `Dead-lettered at ${last.at} after attempt ${attempt} of ${maxAttempts}: ${why}${errorText}.`;
    }
    case "cancelled": {
      const reason = last.type === "JobCancelled" ? last.data.reason : undefined;
      return `Cancelled by ${who(last.actor)} at ${last.at}${reason === undefined ? " (no reason given)" : `: "${reason}"`}.`;
    }
    case "failed":
      return `Waiting to retry: attempt ${used} failed${errorText}; the retry is due at ${context.dueAt}.`;
    case "pending":
      return `Not started yet: it waits until ${context.dueAt}.`;
    case "queued":
      return `Queued, waiting for a worker (${used} attempts used).`;
    case "suspended": {
      const waiting = context.suspension;
      return waiting?.kind === "sleep"
        ? `Suspended: sleeping ("${waiting.name}") until ${context.dueAt}; ${attemptsUsed(context)} of ${context.maxAttempts} attempts used.`
        : `Suspended: waiting for the signal "${waiting?.name ?? "?"}" until ${context.dueAt} at the latest; ${attemptsUsed(context)} of ${context.maxAttempts} attempts used.`;
    }
    case "waiting": {
      const open = context.dependencies.filter((d) => !Object.hasOwn(context.dependencyEnds, d.jobId));
      return `Waiting for ${dependencies(open.length)} of ${context.dependencies.length}: ${open.map((d) => d.jobId).join(", ")}.`;
    }
    case "processing": {
      const running = attempts[attempts.length - 1];
      return `Running attempt ${used}${running === undefined ? "" : ` on ${who(running.startedBy)} since ${running.startedAt}`}.`;
    }
  }
};

/** Explain an audited history (its good prefix, with the integrity finding if any). */
export const explain = (history: AuditedHistory): Explanation => {
  const sentences: Array<Sentence> = [];
  const attempts: Array<AttemptRecord> = [];
  let state = initialState();
  let submittedAt: string | undefined;
  const say = (e: Envelope, kind: SentenceKind, text: string) =>
    sentences.push({ seq: e.seq, at: e.at, actor: e.actor, kind, text });
  const endAttempt = (at: string, outcome: AttemptRecord["outcome"], error: AttemptError | null) => {
    const current = attempts[attempts.length - 1];
    if (current !== undefined && current.outcome === "running")
      attempts[attempts.length - 1] = { ...current, endedAt: at, outcome, error };
  };
  for (const e of history.envelopes) {
    const before = state.context;
    const statusBefore = statusOf(state);
    const current = attempts[attempts.length - 1];
    if (e.type === "JobSubmitted") submittedAt = e.at;
    switch (e.type) {
      case "JobSubmitted": {
        const { spec, runAt } = e.data;
        const waits = runAt !== undefined && Date.parse(runAt) > Date.parse(e.at);
        say(
          e,
          "submitted",
          `Submitted by ${who(e.actor)} as a ${spec.jobType} job on queue ${spec.queue} (priority ${spec.priority}, up to ${plural(spec.maxAttempts, "attempt")}, ${describeBackoff(spec.backoff)}${spec.timeoutMs === undefined ? "" : `, timeout ${describeDuration(spec.timeoutMs)}`}).${waits ? ` It was to wait until ${runAt}.` : ""}`,
        );
        break;
      }
      case "JobQueued":
        say(e, "queued", queuedText(e, before));
        break;
      case "StepCompleted":
        if (current !== undefined) attempts[attempts.length - 1] = { ...current, steps: current.steps + 1 };
        say(
          e,
          "step_completed",
          `Step ${stepName(e.data)} completed in attempt ${e.data.attempt}; its result is recorded, so a later attempt reaching it is given the result without running it again.`,
        );
        break;
      case "StepFailed":
        say(
          e,
          "step_failed",
          `Step ${stepName(e.data)} failed in attempt ${e.data.attempt} with ${e.data.error.code}: ${e.data.error.message}. Not recorded as done: a later attempt runs it again.`,
        );
        break;
      case "JobSuspended": {
        endAttempt(e.at, "suspended", null);
        const { kind, name, until } = e.data;
        say(
          e,
          "suspended",
          kind === "sleep"
            ? `Attempt ${e.data.attempt} suspended the job to sleep ("${name}") until ${until} (${between(e.at, until)}); no worker holds it meanwhile, and the attempt does not count against maxAttempts.`
            : `Attempt ${e.data.attempt} suspended the job to wait for the signal "${name}" until ${until} at the latest; no worker holds it meanwhile, and the attempt does not count against maxAttempts.`,
        );
        break;
      }
      case "SignalReceived": {
        const wakes =
          statusBefore === "suspended" &&
          before.suspension?.kind === "signal" &&
          before.suspension.name === e.data.name;
        say(
          e,
          "signal_received",
          `Signal "${e.data.name}" sent by ${who(e.actor)}${e.data.payload === undefined ? "" : " with a payload"}${wakes ? ", which the job was waiting for: it was queued again." : statusBefore === "processing" ? " while an attempt ran; kept for its handler's waitFor." : `; kept (the job was ${statusBefore}) for its handler's waitFor.`}`,
        );
        break;
      }
      case "AttemptStarted":
        attempts.push({
          attempt: e.data.attempt,
          startedAt: e.at,
          startedBy: e.actor,
          endedAt: null,
          outcome: "running",
          error: null,
          progressReports: 0,
          logLines: 0,
          steps: 0,
        });
        say(
          e,
          "attempt_started",
          before.suspensions === 0
            ? `Attempt ${e.data.attempt} of ${before.maxAttempts} started on ${who(e.actor)}.`
            : `Attempt ${e.data.attempt} started on ${who(e.actor)} (${attemptsUsed(before) + 1} of ${before.maxAttempts} attempts counted: ${plural(before.suspensions, "suspended attempt")} given back).`,
        );
        break;
      case "ProgressReported":
        if (current !== undefined)
          attempts[attempts.length - 1] = { ...current, progressReports: current.progressReports + 1 };
        break;
      case "LogRecorded":
        if (current !== undefined)
          attempts[attempts.length - 1] = { ...current, logLines: current.logLines + 1 };
        break;
      case "JobCompleted":
        endAttempt(e.at, "completed", null);
        say(
          e,
          "completed",
          `Attempt ${e.data.attempt} completed on ${who(e.actor)}${current === undefined ? "" : ` after ${between(current.startedAt, e.at)}`}.`,
        );
        break;
      case "AttemptFailed": {
        const { kind, text } = failureText(e, before, current);
        endAttempt(e.at, "failed", e.data.error);
        say(e, kind, text);
        break;
      }
      case "JobDeadLettered":
        say(e, "dead_lettered", deadLetterText(e));
        break;
      case "JobCancelled": {
        const where =
          statusBefore === "processing"
            ? `while attempt ${before.attempt} was running`
            : statusBefore === "dead_letter"
              ? "while dead-lettered by a dependency's failure (before any release)"
              : `while ${statusBefore}`;
        if (statusBefore === "processing") endAttempt(e.at, "cancelled", null);
        say(
          e,
          "cancelled",
          `Cancelled by ${who(e.actor)} ${where}${e.data.reason === undefined ? " (no reason given)" : `: "${e.data.reason}"`}.`,
        );
        break;
      }
      case "JobRetried":
        say(
          e,
          "manual_retry",
          `Manually retried by ${who(e.actor)} out of dead_letter: "${e.data.reason}". It may make ${plural(e.data.maxAttempts - attemptsUsed(before), "more attempt")} (up to ${e.data.maxAttempts} in all).`,
        );
        break;
      case "DependencyEnded": {
        const { dependency, status } = e.data;
        const policy = before.dependencies.find((d) => d.jobId === dependency)?.onFailure ?? "fail";
        const outcome =
          status === "completed"
            ? "completed"
            : `${status === "dead_letter" ? "was dead-lettered" : "was cancelled"} (policy ${policy})`;
        const since = submittedAt === undefined ? "" : `, ${between(submittedAt, e.at)} after submit`;
        say(e, "dependency_ended", `Dependency ${dependency} ${outcome}${since}.`);
        break;
      }
      case "JobReleased": {
        const count = before.dependencies.length;
        const waited = submittedAt === undefined ? "" : ` after waiting ${between(submittedAt, e.at)}`;
        say(
          e,
          "released",
          statusBefore === "dead_letter"
            ? `Released out of dead_letter: the dependency that failed it has since completed.`
            : `Released${waited} for ${dependencies(count)}; ${who(e.actor)} queued it.`,
        );
        break;
      }
      case "JobFailedByDependency":
        say(
          e,
          "failed_by_dependency",
          `Dependency ${e.data.dependency} ${e.data.status === "dead_letter" ? "was dead-lettered" : "was cancelled"}, so the job was dead-lettered by policy (fail).`,
        );
        break;
      case "JobEvicted":
        say(
          e,
          "evicted",
          e.data.reason === "retention"
            ? `Left Redis by retention (it had ended ${e.data.olderThanMs} ms or more before); its history is kept in the signed archive.`
            : `Purged from Redis by ${who(e.actor)} (it had ended ${e.data.olderThanMs} ms or more before); its history is kept in the signed archive.`,
        );
        break;
    }
    state = evolve(state, eventOf(e));
  }
  // The summary tells how the job ended: a JobEvicted after that only says where it is kept.
  const ending = history.envelopes.findLast((e) => e.type !== "JobEvicted");
  const last = history.envelopes[history.envelopes.length - 1];
  const status = last === undefined ? null : statusOf(state);
  const context = state.context;
  return {
    jobId: history.jobId,
    status,
    jobType: context.jobType,
    queue: context.queue,
    attemptsUsed: attemptsUsed(context),
    maxAttempts: context.maxAttempts,
    summary: summaryOf(status, context, ending ?? last, attempts),
    sentences,
    attempts,
    integrity: history.failure,
  };
};

/**
 * Explain a stored job: audit its history (anchored at its head), then explain the good part.
 * Null when the store knows nothing of the job.
 */
export const explainJob = async (source: AuditSource, jobId: string): Promise<Explanation | null> => {
  const [entries, head] = await Promise.all([source.readJobHistory(jobId), source.readHead(jobId)]);
  if (entries.length === 0 && head === null) return null;
  return explain(auditEntries(jobId, entries, anchorOf(head) ?? undefined));
};
