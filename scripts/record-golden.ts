/**
 * Records the golden job history (test/golden/job-history.json) and its tampered copy, the way
 * the engine records a job: each command decided against the state the previous ones left, the
 * events sealed into one chain. Run it (`tsx scripts/record-golden.ts`) only when the machine
 * or the envelope changes on purpose (a new MACHINE_VERSION); the tests replay the recorded
 * files against the current code, which is what catches an unintended change.
 *
 * The tampered copy edits one member of seq 8 (the reclaimed attempt's error code) without
 * recomputing its hash, so strict replay must refuse it there with `hash_mismatch`.
 */
import { writeFileSync } from "node:fs";
import * as Result from "effect/Result";
import {
  type Actor,
  decide,
  emptyHead,
  type Envelope,
  evolve,
  initialState,
  type JobCommand,
  type JobEvent,
  type JobSpec,
  replay,
  seal,
} from "../src/domain/index.ts";

const JOB_ID = "0193a3b0-7c2e-7000-8000-000000000042";
const at = (seconds: number): string => new Date(Date.UTC(2026, 0, 1) + seconds * 1000).toISOString();

const client: Actor = { kind: "client", id: "api-key-1" };
const workerA: Actor = { kind: "worker", id: "worker-a" };
const workerB: Actor = { kind: "worker", id: "worker-b" };
const scheduler: Actor = { kind: "scheduler", id: "scheduler-1" };
const operator: Actor = { kind: "operator", id: "alice" };

const spec: JobSpec = {
  jobType: "send-email",
  payload: { to: "a@example.com" },
  queue: "default",
  priority: "normal",
  maxAttempts: 2,
  backoff: { type: "exponential", delayMs: 1000, jitter: 0.1 },
  timeoutMs: 30000,
  idempotencyKey: "order-42",
};

/**
 * Attempt 1 fails and is retried; attempt 2's worker dies and another reclaims the lease with
 * the attempts spent (dead letter); an operator retries it by hand; attempt 3 completes.
 */
const commands: ReadonlyArray<JobCommand> = [
  { type: "SubmitJob", at: at(0), actor: client, spec },
  { type: "StartAttempt", at: at(100), actor: workerA, attempt: 1 },
  {
    type: "ReportProgress",
    at: at(101),
    actor: workerA,
    attempt: 1,
    progress: { current: 1, total: 4, message: "rendering" },
  },
  { type: "RecordLog", at: at(102), actor: workerA, attempt: 1, line: "Executing send-email job" },
  {
    type: "FailAttempt",
    at: at(103),
    actor: workerA,
    attempt: 1,
    error: { code: "handler_error", message: "boom", retryable: true },
    random: 0,
  },
  { type: "PromoteJob", at: at(104), actor: scheduler },
  { type: "StartAttempt", at: at(105), actor: workerA, attempt: 2 },
  {
    type: "FailAttempt",
    at: at(106),
    actor: workerB,
    attempt: 2,
    error: { code: "lease_expired", message: "lease of worker-a expired", retryable: true },
    random: 0,
  },
  { type: "RetryJob", at: at(500), actor: operator, reason: "SMTP relay fixed", attempts: 2 },
  { type: "StartAttempt", at: at(501), actor: workerA, attempt: 3 },
  {
    type: "CompleteAttempt",
    at: at(502),
    actor: workerA,
    attempt: 3,
    result: { messageId: "<m1@example.com>" },
  },
];

const events: Array<JobEvent> = [];
let state = initialState();
for (const command of commands) {
  const decision = decide(command, state);
  if (Result.isFailure(decision)) throw new Error(`${command.type}: ${decision.failure.message}`);
  for (const event of decision.success) {
    state = evolve(state, event);
    events.push(event);
  }
}
const { envelopes } = seal(emptyHead(JOB_ID), events);
const replayed = replay(envelopes);
if (Result.isFailure(replayed)) throw new Error(replayed.failure.failure.reason);

const tampered = envelopes.map((envelope): Envelope => {
  if (envelope.seq !== 8 || envelope.type !== "AttemptFailed") return envelope;
  return {
    ...envelope,
    data: { ...envelope.data, error: { ...envelope.data.error, code: "handler_error" } },
  };
});
if (tampered.every((envelope, i) => envelope === envelopes[i])) throw new Error("seq 8 is no AttemptFailed");

const write = (name: string, value: ReadonlyArray<Envelope>) => {
  writeFileSync(new URL(`../test/golden/${name}`, import.meta.url), `${JSON.stringify(value, null, 2)}\n`);
  console.log(`test/golden/${name}: ${value.length} events`);
};
write("job-history.json", envelopes);
write("job-history.tampered.json", tampered);
