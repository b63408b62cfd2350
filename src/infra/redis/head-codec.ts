/**
 * Encoding of a job head's state in Redis, in two parts (ADR 0013):
 *
 * - `spec`: what the submission fixed (type, queue, priority, backoff, timeout, digest). Only
 *   JobSubmitted — always a job's first event — sets these, so they are written once, when the
 *   job is created, and never sent again.
 * - `live`: the status and what changes as the job runs (attempt, attempt cap, due time, last
 *   error, progress, result), with null members left out. Written on every transition.
 *
 * Work entries carry the same fields (append.lua copies them when a job is queued), so one
 * decoder serves both.
 */
import {
  type JobContext,
  type JobState,
  type JobStatus,
  restoreState,
  statusOf,
} from "../../domain/index.ts";
import type { StoredHead } from "../../engine/write/ports.ts";

type SpecPart = Pick<
  JobContext,
  | "submitted"
  | "submissionDigest"
  | "jobType"
  | "queue"
  | "priority"
  | "backoff"
  | "timeoutMs"
  | "attemptsPerRun"
> & {
  readonly retainMs?: number;
  readonly traceparent?: string;
  /** Read by claim.lua from the entry's copy of this part (ADR 0039). */
  readonly concurrencyKey?: string;
  readonly concurrencyLimit?: number;
  /** The job's dependencies (ADR 0042), when it has any. */
  readonly dependencies?: JobContext["dependencies"];
};

interface LivePart {
  readonly value: JobStatus;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly dueAt?: string | null;
  readonly lastError?: JobContext["lastError"];
  readonly progress?: JobContext["progress"];
  readonly result?: JobContext["result"];
  readonly evicted?: true;
  /** Durable steps (ADR 0043): left out while zero or empty, so a plain job's head is as before. */
  readonly steps?: number;
  readonly suspensions?: number;
  readonly suspension?: JobContext["suspension"];
  readonly signals?: JobContext["signals"];
  readonly lastStep?: string;
  readonly dependencyEnds?: JobContext["dependencyEnds"];
  readonly failedBy?: string;
}

export const encodeSpec = (state: JobState): string => {
  const c = state.context;
  const spec: SpecPart = {
    submitted: c.submitted,
    submissionDigest: c.submissionDigest,
    jobType: c.jobType,
    queue: c.queue,
    priority: c.priority,
    backoff: c.backoff,
    timeoutMs: c.timeoutMs,
    attemptsPerRun: c.attemptsPerRun,
    // Only when set: most jobs follow the deployment's retention, and heads are kept small.
    ...(c.retainMs === null ? {} : { retainMs: c.retainMs }),
    // Left out when absent, so a head without a trace is as small as before.
    ...(c.traceparent === null ? {} : { traceparent: c.traceparent }),
    ...(c.concurrencyKey === null
      ? {}
      : { concurrencyKey: c.concurrencyKey, concurrencyLimit: c.concurrencyLimit ?? 1 }),
    ...(c.dependencies.length === 0 ? {} : { dependencies: c.dependencies }),
  };
  return JSON.stringify(spec);
};

export const encodeLive = (state: JobState): string => {
  const c = state.context;
  let text = `{"value":"${statusOf(state)}","attempt":${c.attempt},"maxAttempts":${c.maxAttempts}`;
  if (c.dueAt !== null) text += `,"dueAt":${JSON.stringify(c.dueAt)}`;
  if (c.lastError !== null) text += `,"lastError":${JSON.stringify(c.lastError)}`;
  if (c.progress !== null) text += `,"progress":${JSON.stringify(c.progress)}`;
  if (c.result !== null) text += `,"result":${JSON.stringify(c.result)}`;
  if (c.evicted) text += `,"evicted":true`;
  if (c.steps > 0) text += `,"steps":${c.steps}`;
  if (c.suspensions > 0) text += `,"suspensions":${c.suspensions}`;
  if (c.suspension !== null) text += `,"suspension":${JSON.stringify(c.suspension)}`;
  if (c.signals.length > 0) text += `,"signals":${JSON.stringify(c.signals)}`;
  if (c.lastStep !== null) text += `,"lastStep":${JSON.stringify(c.lastStep)}`;
  // Only jobs with dependencies carry these (ADR 0042); the hot path's heads stay as they were.
  if (c.dependencies.length > 0) text += `,"dependencyEnds":${JSON.stringify(c.dependencyEnds)}`;
  if (c.failedBy !== null) text += `,"failedBy":${JSON.stringify(c.failedBy)}`;
  return `${text}}`;
};

type Field = string | null | false | undefined;

const decodeState = (spec: Field, live: Field): JobState | null => {
  if (!spec || !live) return null;
  const s = JSON.parse(spec) as SpecPart;
  const l = JSON.parse(live) as LivePart;
  // The members in initialContext's order, so a restored context prints like a folded one.
  const context: JobContext = {
    submitted: s.submitted,
    submissionDigest: s.submissionDigest,
    jobType: s.jobType,
    queue: s.queue,
    priority: s.priority,
    backoff: s.backoff,
    timeoutMs: s.timeoutMs,
    attempt: l.attempt,
    maxAttempts: l.maxAttempts,
    attemptsPerRun: s.attemptsPerRun,
    dueAt: l.dueAt ?? null,
    lastError: l.lastError ?? null,
    progress: l.progress ?? null,
    result: l.result ?? null,
    retainMs: s.retainMs ?? null,
    evicted: l.evicted === true,
    traceparent: s.traceparent ?? null,
    concurrencyKey: s.concurrencyKey ?? null,
    concurrencyLimit: s.concurrencyLimit ?? null,
    steps: l.steps ?? 0,
    suspensions: l.suspensions ?? 0,
    suspension: l.suspension ?? null,
    signals: l.signals ?? [],
    lastStep: l.lastStep ?? null,
    dependencies: s.dependencies ?? [],
    dependencyEnds: l.dependencyEnds ?? {},
    failedBy: l.failedBy ?? null,
  };
  return restoreState(l.value, context);
};

/** The head fields decodeHead needs, in the order it takes them (HMGET and work entries). */
export const HEAD_FIELDS = ["version", "lastHash", "spec", "live", "payload"] as const;

export const decodeHead = (
  jobId: string,
  version: Field,
  lastHash: Field,
  spec: Field,
  live: Field,
  payload: Field,
): StoredHead | null => {
  if (!version || !lastHash) return null;
  const state = decodeState(spec, live);
  if (state === null) return null;
  return {
    jobId,
    version: Number(version),
    lastHash,
    state,
    payload: payload ? JSON.parse(payload) : null,
  };
};
