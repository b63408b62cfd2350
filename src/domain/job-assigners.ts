/** The job machine's actions (job-machine.ts): each is an `assign` of the partial context one of these returns. */
import { eventOfType as on, type JobContext, type MachineArgs, submissionDigest } from "./job-context.ts";
import { stepKeyText } from "./steps.ts";

export const jobAssigners = {
  recordSubmission: ({ event }: MachineArgs): Partial<JobContext> => {
    const e = on(event, "JobSubmitted");
    if (e === undefined) return {};
    const { spec } = e.data;
    return {
      submitted: true,
      submissionDigest: submissionDigest(e.data),
      jobType: spec.jobType,
      queue: spec.queue,
      priority: spec.priority,
      backoff: spec.backoff,
      timeoutMs: spec.timeoutMs ?? null,
      retainMs: spec.retainMs ?? null,
      maxAttempts: spec.maxAttempts,
      attemptsPerRun: spec.maxAttempts,
      dueAt: e.data.runAt ?? null,
      traceparent: e.data.traceparent ?? null,
      concurrencyKey: spec.concurrencyKey ?? null,
      concurrencyLimit: spec.concurrencyKey === undefined ? null : (spec.concurrencyLimit ?? 1),
      dependencies: spec.dependsOn ?? [],
    };
  },
  clearDue: (_: MachineArgs): Partial<JobContext> => ({ dueAt: null }),
  startAttempt: ({ context }: MachineArgs): Partial<JobContext> => ({
    attempt: context.attempt + 1,
    progress: null,
  }),
  recordProgress: ({ context, event }: MachineArgs): Partial<JobContext> => ({
    progress: on(event, "ProgressReported")?.data.progress ?? context.progress,
  }),
  recordResult: ({ context, event }: MachineArgs): Partial<JobContext> => ({
    result: on(event, "JobCompleted")?.data.result ?? context.result,
  }),
  recordFailure: ({ event }: MachineArgs): Partial<JobContext> => {
    const e = on(event, "AttemptFailed");
    return e === undefined ? {} : { lastError: e.data.error, dueAt: e.data.retryAt ?? null };
  },
  grantAttempts: ({ context, event }: MachineArgs): Partial<JobContext> => ({
    maxAttempts: on(event, "JobRetried")?.data.maxAttempts ?? context.maxAttempts,
    dueAt: null,
    failedBy: null,
  }),
  recordDependencyEnd: ({ context, event }: MachineArgs): Partial<JobContext> => {
    const e = on(event, "DependencyEnded");
    return e === undefined
      ? {}
      : { dependencyEnds: { ...context.dependencyEnds, [e.data.dependency]: e.data.status } };
  },
  recordFailedBy: ({ event }: MachineArgs): Partial<JobContext> => ({
    failedBy: on(event, "JobFailedByDependency")?.data.dependency ?? null,
  }),
  clearFailedBy: (_: MachineArgs): Partial<JobContext> => ({ failedBy: null }),
  recordEviction: (_: MachineArgs): Partial<JobContext> => ({ evicted: true }),
  countStep: ({ context, event }: MachineArgs): Partial<JobContext> => {
    const e = event.type === "StepCompleted" || event.type === "StepFailed" ? event : undefined;
    return e === undefined
      ? {}
      : { steps: context.steps + 1, lastStep: `${e.data.attempt}:${stepKeyText(e.data)}` };
  },
  recordSuspension: ({ context, event }: MachineArgs): Partial<JobContext> => {
    const e = on(event, "JobSuspended");
    return e === undefined
      ? {}
      : {
          suspensions: context.suspensions + 1,
          suspension: { kind: e.data.kind, name: e.data.name },
          dueAt: e.data.until,
          progress: null,
        };
  },
  recordSignal: ({ context, event }: MachineArgs): Partial<JobContext> => {
    const e = on(event, "SignalReceived");
    return e === undefined ? {} : { signals: [...context.signals, e.data.name] };
  },
  resume: (_: MachineArgs): Partial<JobContext> => ({ suspension: null, dueAt: null }),
} as const;
