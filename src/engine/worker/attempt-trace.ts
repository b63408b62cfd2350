/**
 * An attempt's span (`docket.attempt`, ADR 0031): started when the worker launches the attempt,
 * as a child of the traceparent its job recorded at submit (so it joins the submitter's trace,
 * whichever process runs it); the handler runs in it (its own spans nest under it) and so do the
 * writes of its progress, log lines and outcome (their `docket.append` spans); it ends once the
 * outcome is written, failed when the attempt failed. Without a tracing SDK, nothing at all.
 */
import type { JobContext } from "../../domain/index.ts";
import {
  type Context,
  parentContext,
  runInSpan,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  tracer,
} from "../shared/index.ts";
import type { AttemptOutcome } from "./attempt.ts";

export type AttemptEnd = AttemptOutcome | { readonly _tag: "Crashed" };

export interface AttemptTrace {
  /** Run `work` with the attempt's span active. */
  run<A>(work: () => A): A;
  /** End the span with what became of the attempt. */
  end(outcome: AttemptEnd): void;
}

const UNTRACED: AttemptTrace = { run: (work) => work(), end: () => {} };

/** The attempt's span, or a stand-in that does nothing when no tracing SDK is registered. */
export const traceAttempt = (jobId: string, job: JobContext, workerId: string): AttemptTrace => {
  const docket = tracer();
  return docket === undefined ? UNTRACED : new AttemptSpan(docket, jobId, job, workerId);
};

class AttemptSpan implements AttemptTrace {
  private readonly parent: Context;
  private readonly span: Span;

  constructor(docket: Tracer, jobId: string, job: JobContext, workerId: string) {
    this.parent = parentContext(job.traceparent);
    this.span = docket.startSpan(
      "docket.attempt",
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          "docket.job_id": jobId,
          "docket.job_type": job.jobType,
          "docket.queue": job.queue,
          "docket.attempt": job.attempt,
          "docket.max_attempts": job.maxAttempts,
          "docket.worker_id": workerId,
        },
      },
      this.parent,
    );
  }

  run<A>(work: () => A): A {
    return runInSpan(this.parent, this.span, work);
  }

  end(outcome: AttemptEnd): void {
    this.span.setAttribute("docket.outcome", outcome._tag.toLowerCase());
    if (outcome._tag === "Failed") {
      this.span.setAttribute("docket.error_code", outcome.error.code);
      this.span.setAttribute("docket.error_retryable", outcome.error.retryable);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.message });
    } else if (outcome._tag === "Abandoned") this.span.setAttribute("docket.abandoned", outcome.reason);
    this.span.end();
  }
}
