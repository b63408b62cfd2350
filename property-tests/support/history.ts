/**
 * Random job histories for property tests, produced the way the engine produces them: a list of
 * command *intents* is turned into concrete commands against the current state, each is decided,
 * and accepted events are folded. The trace keeps every step, so properties can look at prefixes.
 */
import * as Result from "effect/Result";
import fc from "fast-check";
import {
  type Actor,
  type AttemptError,
  type CommandRejected,
  type DependencyEndStatus,
  contextOf,
  decide,
  type Envelope,
  emptyHead,
  evolve,
  initialState,
  type JobCommand,
  type JobEvent,
  type JobSpec,
  type JobState,
  type Json,
  seal,
} from "../../src/domain/index.ts";

export type Intent =
  | { readonly kind: "submit"; readonly spec: JobSpec; readonly delayMs: number | null }
  | { readonly kind: "promote" }
  | { readonly kind: "start"; readonly attemptOffset: number }
  | {
      readonly kind: "progress";
      readonly attemptOffset: number;
      readonly current: number;
      readonly total: number;
    }
  | { readonly kind: "log"; readonly attemptOffset: number; readonly line: string }
  | { readonly kind: "meta"; readonly attemptOffset: number; readonly meta: { readonly [key: string]: Json } }
  | { readonly kind: "complete"; readonly attemptOffset: number; readonly result: fc.JsonValue }
  | {
      readonly kind: "fail";
      readonly attemptOffset: number;
      readonly error: AttemptError;
      readonly random: number;
    }
  | { readonly kind: "cancel"; readonly reason: string | null }
  | { readonly kind: "retry"; readonly reason: string; readonly attempts: number | null }
  | { readonly kind: "evict"; readonly purge: boolean; readonly olderThanMs: number }
  | {
      readonly kind: "step";
      readonly attemptOffset: number;
      readonly name: string;
      readonly index: number | null;
      readonly outcome: { readonly result: Json } | { readonly error: AttemptError };
    }
  | {
      readonly kind: "suspend";
      readonly attemptOffset: number;
      readonly sleep: boolean;
      readonly name: string;
      readonly forMs: number;
    }
  | { readonly kind: "signal"; readonly name: string; readonly payload: Json | null }
  | {
      readonly kind: "dependencyEnd";
      readonly dependency: string;
      readonly status: DependencyEndStatus;
    };

export interface Step {
  readonly advanceMs: number;
  readonly intent: Intent;
}

export const START_TIME = Date.parse("2026-01-01T00:00:00.000Z");
export const JOB_ID = "job-under-test";

const actors: ReadonlyArray<Actor> = [
  { kind: "client", id: "api-key-1" },
  { kind: "client", id: "ci", unauthenticatedClaim: "alice@corp" },
  { kind: "worker", id: "w-1" },
  { kind: "scheduler", id: "s-1" },
  { kind: "operator", id: "alice" },
];

/** Mostly the right attempt number, sometimes a stale or future one (fencing). */
const attemptOffset = fc.oneof(
  { weight: 8, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constantFrom(-2, -1, 1, 2) },
);

export const backoffArb = fc.oneof(
  fc.record(
    {
      type: fc.constant("fixed" as const),
      delayMs: fc.nat(60_000),
      jitter: fc.double({ min: 0, max: 1, noNaN: true }),
    },
    { requiredKeys: ["type", "delayMs"] },
  ),
  fc.record(
    {
      type: fc.constant("exponential" as const),
      delayMs: fc.nat(10_000),
      factor: fc.double({ min: 1, max: 4, noNaN: true }),
      maxDelayMs: fc.nat(600_000),
      jitter: fc.double({ min: 0, max: 1, noNaN: true }),
    },
    { requiredKeys: ["type", "delayMs"] },
  ),
);

/** A job's meta: a small JSON object (as JSON text would carry it). */
export const metaArb: fc.Arbitrary<{ readonly [key: string]: Json }> = fc
  .dictionary(fc.constantFrom("tenant", "step", "batch", "tags"), fc.jsonValue({ maxDepth: 1 }), {
    maxKeys: 3,
  })
  .map((v) => JSON.parse(JSON.stringify(v)) as { readonly [key: string]: Json });

/** Ids a history's job may depend on; "dep-x" is named by no spec (an end the machine refuses). */
export const DEPENDENCY_IDS = ["dep-a", "dep-b", "dep-c"] as const;

/** One to three dependencies, each with a failure policy, sometimes flow children. */
export const dependsOnArb = fc
  .uniqueArray(fc.constantFrom(...DEPENDENCY_IDS), { minLength: 1, maxLength: 3 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((jobId) =>
        fc.record(
          {
            jobId: fc.constant(jobId),
            onFailure: fc.constantFrom("fail" as const, "ignore" as const, "continue" as const),
            child: fc.constant(true as const),
          },
          { requiredKeys: ["jobId", "onFailure"] },
        ),
      ),
    ),
  );

export const specArb: fc.Arbitrary<JobSpec> = fc.record(
  {
    jobType: fc.constantFrom("email", "render-video", "noop"),
    payload: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as fc.JsonValue),
    queue: fc.constantFrom("default", "media"),
    priority: fc.constantFrom("critical", "high", "normal", "low"),
    maxAttempts: fc.integer({ min: 1, max: 5 }),
    backoff: backoffArb,
    timeoutMs: fc.integer({ min: 1, max: 600_000 }),
    idempotencyKey: fc.string({ minLength: 1, maxLength: 16 }),
    meta: metaArb,
    concurrencyKey: fc.string({ minLength: 1, maxLength: 16 }),
    concurrencyLimit: fc.integer({ min: 1, max: 10_000 }),
    dependsOn: dependsOnArb,
  },
  { requiredKeys: ["jobType", "payload", "queue", "priority", "maxAttempts", "backoff"] },
) as fc.Arbitrary<JobSpec>;

const errorArb: fc.Arbitrary<AttemptError> = fc.record({
  code: fc.constantFrom("handler_error", "timeout", "lease_expired", "no_handler"),
  message: fc.string({ maxLength: 20 }),
  retryable: fc.boolean(),
});

export const intentArb: fc.Arbitrary<Intent> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("submit" as const),
      spec: specArb,
      delayMs: fc.option(fc.nat(5_000)),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: "promote" as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("start" as const), attemptOffset }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("progress" as const),
      attemptOffset,
      current: fc.nat(100),
      total: fc.nat(100),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("log" as const),
      attemptOffset,
      line: fc.string({ maxLength: 20 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("meta" as const), attemptOffset, meta: metaArb }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("complete" as const),
      attemptOffset,
      result: fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.parse(JSON.stringify(v)) as fc.JsonValue),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("fail" as const),
      attemptOffset,
      error: errorArb,
      random: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("cancel" as const),
      reason: fc.option(fc.string({ minLength: 1, maxLength: 10 })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("retry" as const),
      reason: fc.string({ minLength: 1, maxLength: 10 }),
      attempts: fc.option(fc.integer({ min: 1, max: 3 })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("evict" as const),
      purge: fc.boolean(),
      olderThanMs: fc.nat(700_000),
    }),
  },
);

/** Durable steps, suspensions and signals (ADR 0043), over a few names so they meet. */
const durableNameArb = fc.constantFrom("charge", "approval");
export const durableIntentArb: fc.Arbitrary<Intent> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("step" as const),
      attemptOffset,
      name: durableNameArb,
      index: fc.option(fc.nat(3)),
      outcome: fc.oneof(
        fc.record({
          result: fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.parse(JSON.stringify(v)) as Json),
        }),
        fc.record({ error: errorArb }),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("suspend" as const),
      attemptOffset,
      sleep: fc.boolean(),
      name: durableNameArb,
      forMs: fc.nat(5_000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("signal" as const),
      name: durableNameArb,
      payload: fc.option(fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.parse(JSON.stringify(v)) as Json)),
    }),
  },
);

/** Ends of dependencies: mostly named ones, in any terminal status, sometimes one not named. */
const dependencyEndArb = fc.record({
  kind: fc.constant("dependencyEnd" as const),
  dependency: fc.constantFrom(...DEPENDENCY_IDS, "dep-x"),
  status: fc.constantFrom("completed" as const, "dead_letter" as const, "cancelled" as const),
});

export const stepArb: fc.Arbitrary<Step> = fc.record({
  advanceMs: fc.oneof(fc.constant(0), fc.nat(2_000), fc.nat(700_000)),
  intent: fc.oneof(
    { weight: 12, arbitrary: intentArb },
    { weight: 3, arbitrary: durableIntentArb },
    { weight: 3, arbitrary: dependencyEndArb },
  ),
});

/** A history always starts with a submission; most then do many things to the job. */
export const historyArb: fc.Arbitrary<ReadonlyArray<Step>> = fc
  .tuple(
    fc.record({ kind: fc.constant("submit" as const), spec: specArb, delayMs: fc.option(fc.nat(5_000)) }),
    fc.array(stepArb, { maxLength: 40 }),
  )
  .map(([submit, steps]) => [{ advanceMs: 0, intent: submit }, ...steps]);

const iso = (ms: number) => new Date(ms).toISOString();

/** Turn an intent into a concrete command, given the state it will be decided against. */
export const toCommand = (intent: Intent, state: JobState, atMs: number, actorIndex = 0): JobCommand => {
  const at = iso(atMs);
  const actor = actors[actorIndex % actors.length] as Actor;
  const attempt = contextOf(state).attempt;
  switch (intent.kind) {
    case "submit":
      return intent.delayMs === null
        ? { type: "SubmitJob", at, actor, spec: intent.spec }
        : { type: "SubmitJob", at, actor, spec: intent.spec, runAt: iso(atMs + intent.delayMs) };
    case "promote":
      return { type: "PromoteJob", at, actor };
    case "start":
      return { type: "StartAttempt", at, actor, attempt: attempt + 1 + intent.attemptOffset };
    case "progress":
      return {
        type: "ReportProgress",
        at,
        actor,
        attempt: attempt + intent.attemptOffset,
        progress: { current: intent.current, total: intent.total },
      };
    case "log":
      return { type: "RecordLog", at, actor, attempt: attempt + intent.attemptOffset, line: intent.line };
    case "meta":
      return { type: "UpdateMeta", at, actor, attempt: attempt + intent.attemptOffset, meta: intent.meta };
    case "complete":
      return {
        type: "CompleteAttempt",
        at,
        actor,
        attempt: attempt + intent.attemptOffset,
        result: intent.result as Json,
      };
    case "fail":
      return {
        type: "FailAttempt",
        at,
        actor,
        attempt: attempt + intent.attemptOffset,
        error: intent.error,
        random: intent.random,
      };
    case "cancel":
      return intent.reason === null
        ? { type: "CancelJob", at, actor }
        : { type: "CancelJob", at, actor, reason: intent.reason };
    case "retry":
      return intent.attempts === null
        ? { type: "RetryJob", at, actor, reason: intent.reason }
        : { type: "RetryJob", at, actor, reason: intent.reason, attempts: intent.attempts };
    case "dependencyEnd":
      return {
        type: "RecordDependencyEnd",
        at,
        actor: { kind: "system", id: "follower-1" },
        dependency: intent.dependency,
        status: intent.status,
      };
    case "evict":
      return {
        type: "EvictJob",
        at,
        actor,
        reason: intent.purge ? "purge" : "retention",
        olderThanMs: intent.olderThanMs,
      };
    case "step":
      return {
        type: "RecordStep",
        at,
        actor,
        attempt: attempt + intent.attemptOffset,
        name: intent.name,
        ...(intent.index === null ? {} : { index: intent.index }),
        fingerprint: "0123456789abcdef",
        outcome: intent.outcome,
      };
    case "suspend":
      return {
        type: "SuspendAttempt",
        at,
        actor,
        attempt: attempt + intent.attemptOffset,
        kind: intent.sleep ? "sleep" : "signal",
        name: intent.name,
        until: iso(atMs + intent.forMs),
      };
    case "signal":
      return intent.payload === null
        ? { type: "SignalJob", at, actor, name: intent.name }
        : { type: "SignalJob", at, actor, name: intent.name, payload: intent.payload };
  }
};

export interface TraceStep {
  readonly command: JobCommand;
  readonly before: JobState;
  readonly after: JobState;
  readonly events: ReadonlyArray<JobEvent>;
  readonly rejection: CommandRejected | null;
}

export interface History {
  readonly trace: ReadonlyArray<TraceStep>;
  readonly events: ReadonlyArray<JobEvent>;
  /** State after each accepted event: states[i] follows events[i]. */
  readonly states: ReadonlyArray<JobState>;
  readonly final: JobState;
}

/** Decide and fold every step, as the engine would. */
export const runHistory = (steps: ReadonlyArray<Step>): History => {
  let state = initialState();
  let now = START_TIME;
  const trace: Array<TraceStep> = [];
  const events: Array<JobEvent> = [];
  const states: Array<JobState> = [];
  steps.forEach((step, index) => {
    now += step.advanceMs;
    const command = toCommand(step.intent, state, now, index);
    const decision = decide(command, state);
    const before = state;
    if (Result.isSuccess(decision)) {
      for (const event of decision.success) {
        state = evolve(state, event);
        events.push(event);
        states.push(state);
      }
      trace.push({ command, before, after: state, events: decision.success, rejection: null });
    } else {
      trace.push({ command, before, after: state, events: [], rejection: decision.failure });
    }
  });
  return { trace, events, states, final: state };
};

export const sealHistory = (history: History): ReadonlyArray<Envelope> =>
  seal(emptyHead(JOB_ID), history.events).envelopes;
