/** Small builders for domain tests: times, actors, specs and the events they lead to. */
import type {
  Actor,
  AttemptError,
  DeadLetterReason,
  JobEvent,
  JobEventOf,
  JobSpec,
} from "../../src/domain/index.ts";

export const t = (seconds: number): string => new Date(Date.UTC(2026, 0, 1) + seconds * 1000).toISOString();

export const client: Actor = { kind: "client", id: "api-key-1" };
export const worker: Actor = { kind: "worker", id: "worker-a" };
export const scheduler: Actor = { kind: "scheduler", id: "scheduler-1" };
export const operator: Actor = { kind: "operator", id: "alice" };

export const spec = (overrides: Partial<JobSpec> = {}): JobSpec => ({
  jobType: "send-email",
  payload: { to: "a@example.com" },
  queue: "default",
  priority: "normal",
  maxAttempts: 3,
  backoff: { type: "fixed", delayMs: 10_000 },
  ...overrides,
});

export const submitted = (s: JobSpec = spec(), runAt?: string): JobEventOf<"JobSubmitted"> => ({
  type: "JobSubmitted",
  at: t(0),
  actor: client,
  data: runAt === undefined ? { spec: s } : { spec: s, runAt },
});

export const started = (attempt: number, at = t(attempt * 100)): JobEvent => ({
  type: "AttemptStarted",
  at,
  actor: worker,
  data: { attempt },
});

export const failedRetryable = (attempt: number, retryAt: string, at = t(attempt * 100 + 1)): JobEvent => ({
  type: "AttemptFailed",
  at,
  actor: worker,
  data: { attempt, error: { code: "handler_error", message: "boom", retryable: true }, retryAt },
});

export const requeued = (at: string): JobEvent => ({
  type: "JobQueued",
  at,
  actor: scheduler,
  data: { reason: "retry_due" },
});

/** A failure that allows no retry, then its dead letter: the pair decide emits in one append. */
export const failedForGood = (
  attempt: number,
  error: AttemptError,
  reason: DeadLetterReason,
  maxAttempts: number,
  at = t(attempt * 100 + 1),
  actor: Actor = worker,
): ReadonlyArray<JobEvent> => [
  { type: "AttemptFailed", at, actor, data: { attempt, error } },
  { type: "JobDeadLettered", at, actor, data: { reason, attempt, maxAttempts, errorCode: error.code } },
];
