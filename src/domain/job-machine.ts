/**
 * The job lifecycle as an XState v5 machine: the only place that says which transitions exist.
 *
 * Pure by construction: assign-only actions, named guards over (context, event), no invoke, no
 * `after`, no promises. Its events are the domain's JobEvents themselves, so folding a job's
 * history is `initialTransition` then `transition` per event (replay.ts).
 *
 * `pending` doubles as the state before submission (`context.submitted === false`); only
 * JobSubmitted leaves that pre-state. Every failed attempt leads to `failed`; from there a
 * scheduled retry is queued when due, and a failure that allows none is followed by
 * JobDeadLettered — the only event accepted then, and decided in the same append, so no history
 * at rest stops between the two (ADR 0022). `dead_letter` is terminal except for an explicit,
 * recorded JobRetried. A processing attempt may also end `suspended` (a durable sleep or a wait
 * for a signal, ADR 0043), from where the job is queued again when its time or its signal comes.
 */
import { assign, setup } from "xstate";
import type { JobEvent } from "./events.ts";
import { jobAssigners } from "./job-assigners.ts";
import { type JobContext, initialContext } from "./job-context.ts";
import { jobGuards } from "./job-guards.ts";
import { MACHINE_VERSION } from "./machine-version.ts";

export const jobMachine = setup({
  types: {
    context: {} as JobContext,
    events: {} as JobEvent,
  },
  guards: jobGuards,
  actions: {
    recordSubmission: assign(jobAssigners.recordSubmission),
    clearDue: assign(jobAssigners.clearDue),
    startAttempt: assign(jobAssigners.startAttempt),
    recordProgress: assign(jobAssigners.recordProgress),
    recordResult: assign(jobAssigners.recordResult),
    recordFailure: assign(jobAssigners.recordFailure),
    grantAttempts: assign(jobAssigners.grantAttempts),
    recordEviction: assign(jobAssigners.recordEviction),
    countStep: assign(jobAssigners.countStep),
    recordSuspension: assign(jobAssigners.recordSuspension),
    recordSignal: assign(jobAssigners.recordSignal),
    resume: assign(jobAssigners.resume),
    recordDependencyEnd: assign(jobAssigners.recordDependencyEnd),
    recordFailedBy: assign(jobAssigners.recordFailedBy),
    clearFailedBy: assign(jobAssigners.clearFailedBy),
  },
}).createMachine({
  id: "job",
  version: String(MACHINE_VERSION),
  initial: "pending",
  context: initialContext,
  states: {
    pending: {
      on: {
        JobSubmitted: [
          { guard: "submittedWithDependencies", target: "waiting", actions: "recordSubmission" },
          { guard: "submittedAndDue", target: "queued", actions: ["recordSubmission", "clearDue"] },
          { guard: "submittedAndDelayed", actions: "recordSubmission" },
        ],
        JobQueued: { guard: "waitElapsed", target: "queued", actions: "clearDue" },
        JobCancelled: { guard: "isSubmitted", target: "cancelled" },
        SignalReceived: { guard: "signalNew", actions: "recordSignal" },
      },
    },
    // Waiting for its dependencies (ADR 0042): each end is recorded, then the job is released,
    // or dead-lettered by a `fail` dependency's failure.
    waiting: {
      on: {
        DependencyEnded: { guard: "newDependencyEnd", actions: "recordDependencyEnd" },
        JobReleased: [
          { guard: "releasedAndDue", target: "queued", actions: "clearDue" },
          { guard: "releasedAndDelayed", target: "pending" },
        ],
        JobFailedByDependency: { guard: "failedByPolicy", target: "dead_letter", actions: "recordFailedBy" },
        JobCancelled: { target: "cancelled" },
        // Kept for the handler's ctx.waitFor once the job runs, as in every state before it ends.
        SignalReceived: { guard: "signalNew", actions: "recordSignal" },
      },
    },
    queued: {
      on: {
        AttemptStarted: { guard: "attemptsRemain", target: "processing", actions: "startAttempt" },
        JobCancelled: { target: "cancelled" },
        SignalReceived: { guard: "signalNew", actions: "recordSignal" },
      },
    },
    processing: {
      on: {
        ProgressReported: { guard: "currentAttempt", actions: "recordProgress" },
        LogRecorded: { guard: "currentAttempt" },
        // Meta is the read side's: the machine only fences it (kept out of the context, so
        // heads stay slim).
        MetaUpdated: { guard: "currentAttempt" },
        JobCompleted: { guard: "currentAttempt", target: "completed", actions: "recordResult" },
        AttemptFailed: [
          { guard: "retryScheduled", target: "failed", actions: "recordFailure" },
          { guard: "noRetryAllowed", target: "failed", actions: "recordFailure" },
        ],
        JobCancelled: { target: "cancelled" },
        // Durable steps and suspension (ADR 0043).
        StepCompleted: { guard: "stepRecordable", actions: "countStep" },
        StepFailed: { guard: "stepRecordable", actions: "countStep" },
        JobSuspended: { guard: "suspendable", target: "suspended", actions: "recordSuspension" },
        SignalReceived: { guard: "signalNew", actions: "recordSignal" },
      },
    },
    failed: {
      on: {
        JobQueued: { guard: "waitElapsed", target: "queued", actions: "clearDue" },
        JobDeadLettered: { guard: "deadLetterDue", target: "dead_letter" },
        JobCancelled: { guard: "retryPending", target: "cancelled" },
        SignalReceived: { guard: "signalNewWhileRetrying", actions: "recordSignal" },
      },
    },
    // The attempt ended with a sleep or a wait (ADR 0043): no worker holds the job; it is in the
    // delayed set until `dueAt`, and a wait's signal re-queues it sooner.
    suspended: {
      on: {
        JobQueued: [
          { guard: "suspensionElapsed", target: "queued", actions: "resume" },
          { guard: "awaitedSignalReceived", target: "queued", actions: "resume" },
        ],
        SignalReceived: [
          { guard: "signalAwaited", target: "queued", actions: ["recordSignal", "resume"] },
          { guard: "signalNew", actions: "recordSignal" },
        ],
        JobCancelled: { target: "cancelled" },
      },
    },
    dead_letter: {
      tags: ["terminal"],
      on: {
        JobRetried: { guard: "grantsAttempts", target: "queued", actions: "grantAttempts" },
        JobEvicted: { guard: "notEvicted", actions: "recordEviction" },
        // Dead-lettered by a dependency's failure: that dependency retried and completed
        // releases the job after all (ADR 0042).
        DependencyEnded: { guard: "newDependencyEndAfterFailure", actions: "recordDependencyEnd" },
        JobReleased: {
          guard: "releasedAfterFailure",
          target: "queued",
          actions: ["clearDue", "clearFailedBy"],
        },
        JobCancelled: { guard: "mayStillBeReleased", target: "cancelled", actions: "clearFailedBy" },
      },
    },
    // Not XState `final` states: a finished job still records that it left Redis (ADR 0034).
    completed: {
      tags: ["terminal"],
      on: { JobEvicted: { guard: "notEvicted", actions: "recordEviction" } },
    },
    cancelled: {
      tags: ["terminal"],
      on: { JobEvicted: { guard: "notEvicted", actions: "recordEviction" } },
    },
  },
});

export type JobMachine = typeof jobMachine;
