/**
 * The engine's typed errors. Callers (API, CLI, worker) handle them by `_tag`; the API maps each
 * tag to an HTTP status and a stable code in one table.
 */
import * as Data from "effect/Data";

/** A job spec or request was refused; `field` names the offending field (dotted path). */
export class InvalidJobSpec extends Data.TaggedError("InvalidJobSpec")<{
  readonly field: string;
  readonly message: string;
}> {}

/**
 * Redis did not answer. `outcome` says whether the command certainly was not written
 * (`not_written`: not connected, refused) or may have been (`unknown`: sent, then the
 * connection broke or the reply timed out). A submit with an unknown outcome names the job id it
 * may have created; retry with an idempotency key to make the retry safe.
 */
export class QueueUnavailable extends Data.TaggedError("QueueUnavailable")<{
  readonly message: string;
  readonly outcome: "not_written" | "unknown";
  readonly jobId?: string;
}> {}

export class JobNotFound extends Data.TaggedError("JobNotFound")<{ readonly jobId: string }> {
  override get message(): string {
    return `no job with id ${this.jobId}`;
  }
}

/** The machine or the store refused the command (illegal transition, stale attempt, ...). */
export class CommandRefused extends Data.TaggedError("CommandRefused")<{
  readonly jobId: string;
  readonly code: string;
  readonly message: string;
  readonly status: string;
}> {}

/** Concurrent writers kept winning the race for this job; the caller may retry later. */
export class ContentionExhausted extends Data.TaggedError("ContentionExhausted")<{
  readonly jobId: string;
  readonly message: string;
}> {}

/**
 * A submit's dependencies were refused (ADR 0042): `dependency_not_found` (no such job in Redis)
 * or `dependency_cycle` (the jobs would wait for each other). `dependency` names the job.
 */
export class DependencyRefused extends Data.TaggedError("DependencyRefused")<{
  readonly code: "dependency_not_found" | "dependency_cycle";
  readonly dependency: string;
  readonly message: string;
}> {}

export type EngineError =
  InvalidJobSpec | QueueUnavailable | JobNotFound | CommandRefused | ContentionExhausted | DependencyRefused;
