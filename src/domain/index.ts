/**
 * The domain's public surface: the job machine, events and envelopes, the decider, replay and
 * verification, the retry policy, the limits on what an event holds. Pure: no I/O, no clock,
 * no randomness (all passed in as data).
 */
export * from "./canonical-json.ts";
export * from "./commands.ts";
export * from "./decide.ts";
export * from "./envelope.ts";
export * from "./events.ts";
export * from "./job-assigners.ts";
export * from "./job-context.ts";
export * from "./job-guards.ts";
export * from "./job-machine.ts";
export * from "./job-meta.ts";
export * from "./job-spec.ts";
export * from "./job-state.ts";
export type * from "./json.ts";
export * from "./json-value.ts";
export * from "./limits.ts";
export * from "./duration.ts";
export * from "./delivery-policy.ts";
export * from "./machine-export.ts";
export * from "./machine-version.ts";
export * from "./replay.ts";
export * from "./retry-policy.ts";
export * from "./steps.ts";
export type { CompiledCheck, Problem } from "./schema-check.ts";
export * from "./text.ts";
export * from "./trace-context.ts";
export * from "./merkle.ts";
export * from "./checkpoint.ts";
export * from "./archive-segment.ts";
export * from "./schedule.ts";
export * from "./schedule-cron.ts";
export * from "./schedule-envelope.ts";
export * from "./schedule-ticks.ts";
export * from "./webhook-signature.ts";
export * from "./dependencies.ts";
