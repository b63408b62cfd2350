/**
 * What checking an envelope costs (ADR 0018): Effect's decoder against the compiled check the
 * writer runs before every append (and every reader runs on every entry), with sealing for scale.
 * Not part of `npm run bench`; prints CPU microseconds per envelope.
 *
 *   npx tsx bench/envelope-check.ts
 */
import * as Schema from "effect/Schema";
import { EnvelopeSchema, envelopeProblem, type JobEvent, seal } from "../src/domain/index.ts";

const ROUNDS = Number(process.env.CHECK_ROUNDS ?? 200_000);
const worker = { kind: "worker", id: "bench-0123456789ab" } as const;
const at = "2026-01-01T00:00:00.000Z";

const events: Record<string, JobEvent> = {
  "JobSubmitted, payload {i}": {
    type: "JobSubmitted",
    at,
    actor: { kind: "client", id: "api" },
    data: {
      spec: {
        jobType: "noop",
        payload: { i: 42 },
        queue: "default",
        priority: "normal",
        maxAttempts: 3,
        backoff: { type: "exponential", delayMs: 1000 },
      },
    },
  },
  AttemptStarted: { type: "AttemptStarted", at, actor: worker, data: { attempt: 1 } },
  "JobCompleted, result null": {
    type: "JobCompleted",
    at,
    actor: worker,
    data: { attempt: 1, result: null },
  },
  "JobCompleted, small result": {
    type: "JobCompleted",
    at,
    actor: worker,
    data: { attempt: 1, result: { delivered: true, id: "m-123", tags: ["a", "b"] } },
  },
  "AttemptFailed, retryAt": {
    type: "AttemptFailed",
    at,
    actor: worker,
    data: {
      attempt: 1,
      error: { code: "handler_error", message: "Error: boom", retryable: true },
      retryAt: "2026-01-01T00:00:02.000Z",
    },
  },
};

const decode = Schema.decodeUnknownResult(EnvelopeSchema);

/**
 * CPU time per call (user + system of this process), not wall time: on a shared machine the
 * process waits for a core, and wall time would count the wait.
 */
const perCall = (f: () => unknown): number => {
  for (let i = 0; i < ROUNDS / 10; i++) f();
  const start = process.cpuUsage();
  for (let i = 0; i < ROUNDS; i++) f();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / ROUNDS;
};

const rows = Object.entries(events).map(([name, event]) => {
  const [envelope] = seal(
    { jobId: "0193a3b0-7c2e-7000-8000-000000000042", version: 0, lastHash: "0".repeat(64) },
    [event],
  ).envelopes;
  if (envelopeProblem(envelope) !== undefined) throw new Error(`${name} does not pass the check`);
  return {
    envelope: name,
    "seal µs": perCall(() => seal({ jobId: "j", version: 0, lastHash: "0".repeat(64) }, [event])).toFixed(2),
    "Effect decode µs": perCall(() => decode(envelope, { onExcessProperty: "error" })).toFixed(2),
    "compiled check µs": perCall(() => envelopeProblem(envelope)).toFixed(3),
  };
});
console.table(rows);
