/**
 * A job's log read from its history: the lines its handler logged, and a lifecycle line for each
 * event a reader of logs looks for ("Executing <type> job (attempt n of m) on <worker>", "Job OK",
 * "Job failed: <code>: <message>"). Pure; used by `GET /v1/jobs/:id/logs` and, event by event,
 * by `docket jobs logs --follow` over the event stream.
 *
 * Why derived rather than recorded: the lifecycle lines say nothing the events do not already
 * say, and writing them as LogRecorded events would cost an append per job on the worker's hot
 * path (ADR 0033 counts those round trips) and store each fact twice.
 */
import type { Envelope } from "../../domain/index.ts";

export interface JobLogLine {
  readonly seq: number;
  readonly at: string;
  readonly attempt: number | null;
  readonly source: "handler" | "docket";
  readonly line: string;
}

const QUEUED_LINES = {
  delay_elapsed: "Queued (its delay elapsed)",
  retry_due: "Queued for its retry",
  sleep_elapsed: "Queued to resume (its sleep ended)",
  wait_timed_out: "Queued to resume (its wait for a signal timed out)",
  signal_received: "Queued to resume (the signal it waits for had arrived)",
} as const;

const stepLabel = (data: { readonly name: string; readonly index?: number }): string =>
  data.index === undefined ? data.name : `${data.name}[${data.index}]`;

/** Reads a job's events in seq order and answers each one's log lines (none for most). */
export class JobLogReader {
  private jobType = "?";
  private maxAttempts = 0;
  /** When each attempt started (ms), for its duration in "Job OK". */
  private startedAtMs = new Map<number, number>();

  read(event: Envelope): ReadonlyArray<JobLogLine> {
    const docket = (attempt: number | null, line: string): ReadonlyArray<JobLogLine> => [
      { seq: event.seq, at: event.at, attempt, source: "docket", line },
    ];
    const by = `${event.actor.kind} ${event.actor.id}`;
    switch (event.type) {
      case "JobSubmitted": {
        const { spec, runAt } = event.data;
        this.jobType = spec.jobType;
        this.maxAttempts = spec.maxAttempts;
        return docket(
          null,
          `Submitted ${spec.jobType} job to queue ${spec.queue} (priority ${spec.priority})${runAt === undefined ? "" : `, to run at ${runAt}`}`,
        );
      }
      case "JobQueued":
        return docket(null, QUEUED_LINES[event.data.reason]);
      case "AttemptStarted": {
        const { attempt } = event.data;
        this.startedAtMs.set(attempt, Date.parse(event.at));
        return docket(
          attempt,
          `Executing ${this.jobType} job (attempt ${attempt} of ${this.maxAttempts}) on ${event.actor.id}`,
        );
      }
      case "LogRecorded":
        return [
          {
            seq: event.seq,
            at: event.at,
            attempt: event.data.attempt,
            source: "handler",
            line: event.data.line,
          },
        ];
      case "JobCompleted": {
        const { attempt } = event.data;
        const started = this.startedAtMs.get(attempt);
        return docket(
          attempt,
          `Job OK${started === undefined ? "" : ` (${Date.parse(event.at) - started} ms)`}`,
        );
      }
      case "AttemptFailed": {
        const { attempt, error, retryAt } = event.data;
        return docket(
          attempt,
          `Job failed: ${error.code}: ${error.message}${retryAt === undefined ? "" : `; retry at ${retryAt}`}`,
        );
      }
      case "JobDeadLettered": {
        const { reason, attempt, maxAttempts } = event.data;
        return docket(
          attempt,
          `Dead-lettered (${reason === "not_retryable" ? "not retryable" : "attempts exhausted"}) after attempt ${attempt} of ${maxAttempts}`,
        );
      }
      case "JobCancelled":
        return docket(
          null,
          `Cancelled by ${by}${event.data.reason === undefined ? "" : `: ${event.data.reason}`}`,
        );
      case "JobRetried":
        this.maxAttempts = event.data.maxAttempts;
        return docket(
          null,
          `Retried by ${by}: ${event.data.reason} (up to attempt ${event.data.maxAttempts})`,
        );
      case "JobEvicted":
        return docket(null, `Left Redis (${event.data.reason}); its history is in the archive`);
      case "StepCompleted":
        return docket(event.data.attempt, `Step ${stepLabel(event.data)} done; its result is recorded`);
      case "StepFailed": {
        const { attempt, error } = event.data;
        return docket(attempt, `Step ${stepLabel(event.data)} failed: ${error.code}: ${error.message}`);
      }
      case "JobSuspended": {
        const { attempt, kind, name, until } = event.data;
        return docket(
          attempt,
          kind === "sleep"
            ? `Suspended: sleeping (${name}) until ${until}`
            : `Suspended: waiting for signal ${name} until ${until} at the latest`,
        );
      }
      case "SignalReceived":
        return docket(null, `Signal ${event.data.name} received from ${by}`);
      case "DependencyEnded":
        return docket(null, `Dependency ${event.data.dependency} ended ${event.data.status}`);
      case "JobReleased":
        return docket(null, "Released: its dependencies no longer hold it back");
      case "JobFailedByDependency":
        return docket(
          null,
          `Dead-lettered by policy: dependency ${event.data.dependency} ended ${event.data.status}`,
        );
      case "ProgressReported":
      case "MetaUpdated":
        return [];
    }
  }
}

/** The whole log of a job's history (its events in seq order). */
export const jobLogOf = (events: ReadonlyArray<Envelope>): ReadonlyArray<JobLogLine> => {
  const reader = new JobLogReader();
  return events.flatMap((event) => reader.read(event));
};
