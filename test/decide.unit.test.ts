import { describe, it } from "vitest";
import { given } from "./support/decider-spec.ts";
import {
  client,
  failedForGood,
  failedRetryable,
  operator,
  requeued,
  scheduler,
  spec,
  started,
  submitted,
  t,
  worker,
} from "./support/fixtures.ts";

const boom = { code: "handler_error", message: "boom", retryable: true } as const;

describe("decide: submitting", () => {
  it("a new job is submitted and queued at once", () => {
    given()
      .when({ type: "SubmitJob", at: t(0), actor: client, spec: spec() })
      .thenEvents([submitted()]);
  });

  it("a job with a runAt in the future is submitted and stays pending", () => {
    given()
      .when({ type: "SubmitJob", at: t(0), actor: client, spec: spec(), runAt: t(60) })
      .thenEvents([submitted(spec(), t(60))]);
  });

  it("repeating the same submission appends nothing", () => {
    given(submitted())
      .when({ type: "SubmitJob", at: t(5), actor: client, spec: spec() })
      .thenEvents([]);
  });

  it("a different submission under an existing id is refused", () => {
    given(submitted())
      .when({ type: "SubmitJob", at: t(5), actor: client, spec: spec({ payload: { to: "b@example.com" } }) })
      .thenRejected("job_exists");
  });

  it("any other command on a job that was never submitted is refused as not found", () => {
    given()
      .when({ type: "CancelJob", at: t(0), actor: client })
      .thenRejected("job_not_found");
  });
});

describe("decide: running attempts", () => {
  it("a worker starts the next attempt of a queued job", () => {
    given(submitted())
      .when({ type: "StartAttempt", at: t(100), actor: worker, attempt: 1 })
      .thenEvents([started(1)]);
  });

  it("starting an attempt out of turn is refused as stale", () => {
    given(submitted())
      .when({ type: "StartAttempt", at: t(100), actor: worker, attempt: 2 })
      .thenRejected("stale_attempt");
  });

  it("starting the attempt that is already running appends nothing", () => {
    given(submitted(), started(1))
      .when({ type: "StartAttempt", at: t(101), actor: worker, attempt: 1 })
      .thenEvents([]);
  });

  it("the current attempt completes with its result", () => {
    given(submitted(), started(1))
      .when({ type: "CompleteAttempt", at: t(150), actor: worker, attempt: 1, result: { sent: true } })
      .thenEvents([
        { type: "JobCompleted", at: t(150), actor: worker, data: { attempt: 1, result: { sent: true } } },
      ]);
  });

  it("a stale worker's completion is refused", () => {
    given(submitted(), started(1), failedRetryable(1, t(111)), requeued(t(200)), started(2, t(201)))
      .when({ type: "CompleteAttempt", at: t(202), actor: worker, attempt: 1, result: null })
      .thenRejected("stale_attempt");
  });

  it("completing an already completed attempt appends nothing", () => {
    const done = {
      type: "JobCompleted",
      at: t(150),
      actor: worker,
      data: { attempt: 1, result: 1 },
    } as const;
    given(submitted(), started(1), done)
      .when({ type: "CompleteAttempt", at: t(151), actor: worker, attempt: 1, result: 1 })
      .thenEvents([]);
  });

  it("progress and log lines of the current attempt are recorded", () => {
    given(submitted(), started(1))
      .when({
        type: "ReportProgress",
        at: t(110),
        actor: worker,
        attempt: 1,
        progress: { current: 3, total: 10, message: "3/10" },
      })
      .thenEvents([
        {
          type: "ProgressReported",
          at: t(110),
          actor: worker,
          data: { attempt: 1, progress: { current: 3, total: 10, message: "3/10" } },
        },
      ]);
    given(submitted(), started(1))
      .when({ type: "RecordLog", at: t(111), actor: worker, attempt: 1, line: "Executing send-email job" })
      .thenEvents([
        {
          type: "LogRecorded",
          at: t(111),
          actor: worker,
          data: { attempt: 1, line: "Executing send-email job" },
        },
      ]);
  });
});

describe("decide: a job's meta", () => {
  it("the current attempt's handler replaces the meta; a stale attempt or a job not running cannot", () => {
    const meta = { stage: "resize", rows: 42 };
    given(submitted(), started(1))
      .when({ type: "UpdateMeta", at: t(110), actor: worker, attempt: 1, meta })
      .thenEvents([{ type: "MetaUpdated", at: t(110), actor: worker, data: { attempt: 1, meta } }]);
    given(submitted(), started(1), failedRetryable(1, t(111)), requeued(t(200)), started(2, t(201)))
      .when({ type: "UpdateMeta", at: t(202), actor: worker, attempt: 1, meta })
      .thenRejected("stale_attempt");
    given(submitted())
      .when({ type: "UpdateMeta", at: t(110), actor: worker, attempt: 0, meta })
      .thenRejected("illegal_transition");
  });
});

describe("decide: failures, retries and dead letters", () => {
  it("a retryable failure with attempts left schedules the retry by the backoff policy", () => {
    given(submitted(), started(1))
      .when({ type: "FailAttempt", at: t(101), actor: worker, attempt: 1, error: boom })
      .thenEvents([failedRetryable(1, t(111))]);
  });

  it("exponential backoff doubles the wait with each attempt", () => {
    const s = spec({ backoff: { type: "exponential", delayMs: 1_000 } });
    given(submitted(s), started(1), failedRetryable(1, t(102)), requeued(t(200)), started(2, t(201)))
      .when({ type: "FailAttempt", at: t(202), actor: worker, attempt: 2, error: boom })
      .thenEvents([failedRetryable(2, t(204), t(202))]);
  });

  it("a non-retryable failure dead-letters the job at once, with its own event naming why", () => {
    const permanent = { code: "bad_input", message: "no such user", retryable: false } as const;
    given(submitted(), started(1))
      .when({ type: "FailAttempt", at: t(101), actor: worker, attempt: 1, error: permanent })
      .thenEvents([
        { type: "AttemptFailed", at: t(101), actor: worker, data: { attempt: 1, error: permanent } },
        {
          type: "JobDeadLettered",
          at: t(101),
          actor: worker,
          data: { reason: "not_retryable", attempt: 1, maxAttempts: 3, errorCode: "bad_input" },
        },
      ]);
  });

  it("a retryable failure of the last attempt dead-letters the job: attempts exhausted", () => {
    const s = spec({ maxAttempts: 1 });
    given(submitted(s), started(1))
      .when({ type: "FailAttempt", at: t(101), actor: worker, attempt: 1, error: boom })
      .thenEvents([
        { type: "AttemptFailed", at: t(101), actor: worker, data: { attempt: 1, error: boom } },
        {
          type: "JobDeadLettered",
          at: t(101),
          actor: worker,
          data: { reason: "attempts_exhausted", attempt: 1, maxAttempts: 1, errorCode: "handler_error" },
        },
      ]);
  });

  it("a retryable failure of the last attempt after earlier retries dead-letters the job", () => {
    const s = spec({ maxAttempts: 2 });
    given(submitted(s), started(1), failedRetryable(1, t(111)), requeued(t(200)), started(2, t(201)))
      .when({ type: "FailAttempt", at: t(202), actor: worker, attempt: 2, error: boom })
      .thenEvents(failedForGood(2, boom, "attempts_exhausted", 2, t(202)));
  });

  it("a non-retryable failure of the last attempt is named for its error, not for the count", () => {
    const permanent = { code: "bad_input", message: "no", retryable: false } as const;
    given(submitted(spec({ maxAttempts: 1 })), started(1))
      .when({ type: "FailAttempt", at: t(101), actor: worker, attempt: 1, error: permanent })
      .thenEvents(failedForGood(1, permanent, "not_retryable", 1));
  });

  it("a job type with no handler is dead-lettered at once (no_handler is not retryable)", () => {
    const noHandler = {
      code: "no_handler",
      message: 'no handler for job type "x"',
      retryable: false,
    } as const;
    given(submitted(), started(1))
      .when({ type: "FailAttempt", at: t(101), actor: worker, attempt: 1, error: noHandler })
      .thenEvents(failedForGood(1, noHandler, "not_retryable", 3));
  });

  it("a result that cannot be recorded is dead-lettered at once (invalid_result is not retryable)", () => {
    const invalid = {
      code: "invalid_result",
      message: "the handler's result cannot be recorded: too big",
      retryable: false,
    } as const;
    given(submitted(), started(1))
      .when({ type: "FailAttempt", at: t(101), actor: worker, attempt: 1, error: invalid })
      .thenEvents(failedForGood(1, invalid, "not_retryable", 3));
  });

  it("a timeout of the last attempt dead-letters the job: attempts exhausted", () => {
    const timeout = { code: "timeout", message: "timed out after 50 ms", retryable: true } as const;
    given(submitted(spec({ maxAttempts: 1 })), started(1))
      .when({ type: "FailAttempt", at: t(101), actor: worker, attempt: 1, error: timeout })
      .thenEvents(failedForGood(1, timeout, "attempts_exhausted", 1));
  });

  it("repeating a failure that dead-lettered the job appends nothing", () => {
    const permanent = { code: "bad_input", message: "no", retryable: false } as const;
    given(submitted(), started(1), ...failedForGood(1, permanent, "not_retryable", 3))
      .when({ type: "FailAttempt", at: t(102), actor: worker, attempt: 1, error: permanent })
      .thenEvents([]);
  });

  it("a stale worker's failure cannot dead-letter the job", () => {
    const permanent = { code: "bad_input", message: "no", retryable: false } as const;
    given(submitted(), started(1), failedRetryable(1, t(111)), requeued(t(200)), started(2, t(201)))
      .when({ type: "FailAttempt", at: t(202), actor: worker, attempt: 1, error: permanent })
      .thenRejected("stale_attempt");
  });

  it("a lost lease ends the attempt as failed, counting against maxAttempts", () => {
    const lost = {
      code: "lease_expired",
      message: "worker-a stopped renewing its lease",
      retryable: true,
    } as const;
    given(submitted(spec({ maxAttempts: 1 })), started(1))
      .when({
        type: "FailAttempt",
        at: t(130),
        actor: { kind: "worker", id: "worker-b" },
        attempt: 1,
        error: lost,
      })
      .thenEvents([
        {
          type: "AttemptFailed",
          at: t(130),
          actor: { kind: "worker", id: "worker-b" },
          data: { attempt: 1, error: lost },
        },
        {
          type: "JobDeadLettered",
          at: t(130),
          actor: { kind: "worker", id: "worker-b" },
          data: { reason: "attempts_exhausted", attempt: 1, maxAttempts: 1, errorCode: "lease_expired" },
        },
      ]);
  });

  it("the scheduler may not promote a retry before it is due", () => {
    given(submitted(), started(1), failedRetryable(1, t(111)))
      .when({ type: "PromoteJob", at: t(110), actor: scheduler })
      .thenRejected("not_due");
  });

  it("the scheduler promotes a due retry, and a second promotion appends nothing", () => {
    given(submitted(), started(1), failedRetryable(1, t(111)))
      .when({ type: "PromoteJob", at: t(111), actor: scheduler })
      .thenEvents([requeued(t(111))]);
    given(submitted(), started(1), failedRetryable(1, t(111)), requeued(t(111)))
      .when({ type: "PromoteJob", at: t(112), actor: scheduler })
      .thenEvents([]);
  });

  it("a manual retry from dead_letter is recorded with its actor and reason and grants a fresh budget", () => {
    const permanent = { code: "bad_input", message: "no", retryable: false } as const;
    given(submitted(), started(1), ...failedForGood(1, permanent, "not_retryable", 3))
      .when({ type: "RetryJob", at: t(500), actor: operator, reason: "fixed the address book" })
      .thenEvents([
        {
          type: "JobRetried",
          at: t(500),
          actor: operator,
          data: { reason: "fixed the address book", maxAttempts: 4 },
        },
      ]);
  });

  it("a manual retry of a job that is not dead-lettered is refused", () => {
    given(submitted())
      .when({ type: "RetryJob", at: t(5), actor: operator, reason: "why not" })
      .thenRejected("illegal_transition");
  });
});

describe("decide: a job recorded as evicted", () => {
  const permanent = { code: "bad_input", message: "no", retryable: false } as const;
  const deadLetter = [submitted(), started(1), ...failedForGood(1, permanent, "not_retryable", 3)];
  const evicted = {
    type: "JobEvicted",
    at: t(900),
    actor: { kind: "system", id: "retention" },
    data: { reason: "retention", olderThanMs: 60_000 },
  } as const;

  it("refuses a command the machine refuses as evicted, as the job once it has left Redis is (job_evicted)", () => {
    given(...deadLetter, evicted)
      .when({ type: "RetryJob", at: t(901), actor: operator, reason: "too late" })
      .thenRejected("job_evicted");
    given(...deadLetter, evicted)
      .when({ type: "CancelJob", at: t(901), actor: client })
      .thenRejected("job_evicted");
    given(...deadLetter, evicted)
      .when({ type: "SignalJob", at: t(901), actor: client, name: "go" })
      .thenRejected("job_evicted");
  });

  it("still answers a repeat of what was already done with no events", () => {
    given(...deadLetter, evicted)
      .when({ type: "EvictJob", at: t(902), actor: operator, reason: "purge", olderThanMs: 0 })
      .thenEvents([]);
    const cancelled = { type: "JobCancelled", at: t(5), actor: client, data: {} } as const;
    given(submitted(), cancelled, evicted)
      .when({ type: "CancelJob", at: t(903), actor: client })
      .thenEvents([]);
  });
});

describe("decide: cancellation", () => {
  it("a queued job is cancelled with the reason given", () => {
    given(submitted())
      .when({ type: "CancelJob", at: t(5), actor: client, reason: "user left" })
      .thenEvents([{ type: "JobCancelled", at: t(5), actor: client, data: { reason: "user left" } }]);
  });

  it("a processing job is cancelled, and its worker's later completion is refused", () => {
    const cancelled = { type: "JobCancelled", at: t(120), actor: client, data: {} } as const;
    given(submitted(), started(1))
      .when({ type: "CancelJob", at: t(120), actor: client })
      .thenEvents([cancelled]);
    given(submitted(), started(1), cancelled)
      .when({ type: "CompleteAttempt", at: t(121), actor: worker, attempt: 1, result: null })
      .thenRejected("illegal_transition");
  });

  it("cancelling a cancelled job appends nothing; cancelling a completed one is refused", () => {
    const cancelled = { type: "JobCancelled", at: t(5), actor: client, data: {} } as const;
    given(submitted(), cancelled)
      .when({ type: "CancelJob", at: t(6), actor: client })
      .thenEvents([]);
    const done = {
      type: "JobCompleted",
      at: t(150),
      actor: worker,
      data: { attempt: 1, result: 1 },
    } as const;
    given(submitted(), started(1), done)
      .when({ type: "CancelJob", at: t(151), actor: client })
      .thenRejected("illegal_transition");
  });
});
