/**
 * Job use cases for API clients and operators: submit (single and bulk), read, cancel, retry
 * dead letters. Each change is a command decided against the job's head and appended through
 * the JobWriter; nothing here talks to Redis directly.
 */
import * as Result from "effect/Result";
import {
  type Actor,
  type Envelope,
  isTraceparent,
  type Json,
  MAX_SIGNAL_PAYLOAD_BYTES,
  type SubmitJob,
  statusOf,
} from "../../domain/index.ts";
import { type JobView, viewOf } from "../read/index.ts";
import {
  type Clock,
  type EngineError,
  endWithError,
  InvalidJobSpec,
  JobNotFound,
  parentContext,
  QueueUnavailable,
  runInSpan,
  type Span,
  SpanKind,
  traceparentOf,
  tracer,
} from "../shared/index.ts";
import { newJobId, newJobIdInShard, shardOf } from "./job-ids.ts";
import {
  isWriteResult,
  JobWriter,
  type WriteFailure,
  type WriteIntent,
  type WriteResult,
} from "./job-writer.ts";
import type { CancelNotices, DeadLetterIndex, EventStore, StoredHead } from "./ports.ts";
import { normaliseSubmit } from "./submit-request.ts";

export interface JobServiceOptions {
  readonly store: EventStore;
  /** Where dead letters are listed from (the work queue's dead-letter index). */
  readonly queue: DeadLetterIndex;
  readonly clock: Clock;
  readonly shards: number;
  readonly maxPayloadBytes?: number;
  /** Told of each recorded cancel, for the worker that runs the job (ADR 0040). */
  readonly cancels?: CancelNotices;
}

export interface Submitted {
  readonly jobId: string;
  /** False when an idempotency key named an existing job and nothing was appended. */
  readonly created: boolean;
  readonly head: StoredHead | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Run a submit in its span (a producer span, child of the active span or of the caller's
 * traceparent), handing it the traceparent its jobs record: the span's own. Without a tracing
 * SDK there is no span, and the jobs record the caller's traceparent as given (when valid), so a
 * worker that does trace still joins the caller's trace.
 */
const inSubmitSpan = async <A>(
  name: string,
  given: string | undefined,
  work: (span: Span | undefined, traceparent: string | undefined) => Promise<A>,
): Promise<A> => {
  const docket = tracer();
  if (docket === undefined) return work(undefined, isTraceparent(given) ? given : undefined);
  const parent = parentContext(given);
  const span = docket.startSpan(name, { kind: SpanKind.PRODUCER }, parent);
  try {
    const result = await runInSpan(parent, span, () => work(span, traceparentOf(span)));
    span.end();
    return result;
  } catch (error) {
    endWithError(span, error);
    throw error;
  }
};

export class JobService {
  private readonly writer: JobWriter;

  constructor(private readonly options: JobServiceOptions) {
    this.writer = new JobWriter(options.store, options.clock);
  }

  private newId(idempotencyKey: string | undefined): string {
    return idempotencyKey === undefined
      ? newJobId()
      : newJobIdInShard(shardOf(idempotencyKey, this.options.shards), this.options.shards);
  }

  private intentFor(
    input: unknown,
    actor: Actor,
    traceparent: string | undefined,
  ): Result.Result<WriteIntent, InvalidJobSpec> {
    const nowMs = this.options.clock.now();
    const normalised = normaliseSubmit(input, nowMs, this.options.maxPayloadBytes);
    if (Result.isFailure(normalised)) return Result.fail(normalised.failure);
    const { spec, runAt } = normalised.success;
    const jobId = this.newId(spec.idempotencyKey);
    const command: SubmitJob = {
      type: "SubmitJob",
      at: iso(nowMs),
      actor,
      spec,
      ...(runAt === undefined ? {} : { runAt }),
      ...(traceparent === undefined ? {} : { traceparent }),
    };
    return Result.succeed({
      jobId,
      command: () => command,
      create: {
        payload: spec.payload,
        ...(spec.idempotencyKey === undefined ? {} : { idempotencyKey: spec.idempotencyKey }),
      },
    });
  }

  private submitted(result: WriteResult, jobId: string): Submitted {
    if (result._tag === "Repeat") return { jobId: result.jobId, created: false, head: null };
    return { jobId, created: true, head: result.head };
  }

  /**
   * Validate and submit one job. Rejects with InvalidJobSpec or QueueUnavailable. In a
   * `docket.submit` span, child of the active span or else of `options.traceparent` (the caller's
   * W3C traceparent; one that is not valid is ignored, and a new trace begins); the job records
   * that span's context as its traceparent, which its attempts join (ADR 0031). Without a
   * tracing SDK the span is a no-op and the job records the caller's traceparent as given.
   */
  async submit(
    input: unknown,
    actor: Actor,
    options: { readonly traceparent?: string } = {},
  ): Promise<Submitted> {
    return inSubmitSpan("docket.submit", options.traceparent, async (span, traceparent) => {
      const intent = this.intentFor(input, actor, traceparent);
      if (Result.isFailure(intent)) throw intent.failure;
      const { jobId } = intent.success;
      span?.setAttribute("docket.job_id", jobId);
      try {
        const submitted = this.submitted(await this.writer.write(intent.success, null), jobId);
        span?.setAttribute("docket.created", submitted.created);
        return submitted;
      } catch (error) {
        if (error instanceof QueueUnavailable && error.outcome === "unknown")
          throw new QueueUnavailable({
            message: `${error.message}; job ${jobId} may have been created (retry with an idempotencyKey to be safe)`,
            outcome: "unknown",
            jobId,
          });
        throw error;
      }
    });
  }

  /**
   * Submit many jobs in one pipelined round trip. Each item succeeds or fails on its own: a bad
   * spec is reported with its index and never blocks the others.
   */
  async submitMany(
    inputs: ReadonlyArray<unknown>,
    actor: Actor,
    options: { readonly traceparent?: string } = {},
  ): Promise<ReadonlyArray<Submitted | EngineError | Error>> {
    // One span for the batch: every job of it records that span's context.
    return inSubmitSpan("docket.submit_many", options.traceparent, async (span, traceparent) => {
      span?.setAttribute("docket.jobs", inputs.length);
      const intents = inputs.map((input) => this.intentFor(input, actor, traceparent));
      const valid = intents.flatMap((intent) => (Result.isSuccess(intent) ? [intent.success] : []));
      const written = (
        await this.writer.writeMany(valid.map((intent) => ({ intent, known: null })))
      ).values();
      // writeMany answers the valid intents in order; invalid ones keep their validation error.
      return intents.map((intent) => {
        if (Result.isFailure(intent)) return intent.failure;
        const outcome = written.next().value as WriteResult | WriteFailure | Error;
        return isWriteResult(outcome) ? this.submitted(outcome, intent.success.jobId) : outcome;
      });
    });
  }

  async get(jobId: string): Promise<StoredHead> {
    const head = await this.options.store.loadHead(jobId);
    if (head === null) throw new JobNotFound({ jobId });
    return head;
  }

  async events(jobId: string): Promise<ReadonlyArray<Envelope>> {
    const events = await this.options.store.readEvents(jobId);
    if (events.length === 0) throw new JobNotFound({ jobId });
    return events;
  }

  /**
   * Which tier a job's history was read from (ADR 0034): `redis` while the job is there (some
   * of its events may have been read back from the archive), `archive` once it has left.
   */
  async tierOf(jobId: string): Promise<"redis" | "archive"> {
    return (await this.options.store.loadHead(jobId)) === null ? "archive" : "redis";
  }

  /** A job's view folded from its own history: always current (read-your-writes). */
  async view(jobId: string): Promise<JobView> {
    const view = viewOf(await this.events(jobId));
    if (view === null) throw new JobNotFound({ jobId });
    return view;
  }

  /**
   * Cancel a job: a pending, queued or failed job ends at once; a processing job ends
   * `cancelled` and its worker's handler is aborted (its lease is gone).
   */
  async cancel(jobId: string, actor: Actor, reason?: string): Promise<StoredHead> {
    const at = iso(this.options.clock.now());
    const result = await this.writer.write({
      jobId,
      command: () => ({ type: "CancelJob", at, actor, ...(reason === undefined ? {} : { reason }) }),
    });
    if (result._tag === "Repeat") return this.get(jobId);
    // Announced before answering, so a handler hears of it about when the caller does. The cancel
    // is recorded whatever happens here: a lost announcement waits for the lease renewal instead.
    await this.options.cancels?.announce(jobId).catch(() => undefined);
    return result.head;
  }

  /**
   * Send a signal to a job (ADR 0043): recorded as SignalReceived. A suspended job waiting for
   * it is queued again by that event; any other job keeps it for its handler's waitFor.
   */
  async signal(jobId: string, actor: Actor, name: string, payload?: Json): Promise<StoredHead> {
    if (payload !== undefined) {
      const size = Buffer.byteLength(JSON.stringify(payload), "utf8");
      if (size > MAX_SIGNAL_PAYLOAD_BYTES)
        throw new InvalidJobSpec({
          field: "payload",
          message: `the signal's payload is ${size} bytes of JSON; the limit is ${MAX_SIGNAL_PAYLOAD_BYTES}`,
        });
    }
    const at = iso(this.options.clock.now());
    const result = await this.writer.write({
      jobId,
      command: () => ({ type: "SignalJob", at, actor, name, ...(payload === undefined ? {} : { payload }) }),
    });
    return result._tag === "Repeat" ? this.get(jobId) : result.head;
  }

  /** Manual retry of a dead-lettered job: recorded with actor and reason. */
  async retry(jobId: string, actor: Actor, reason: string, attempts?: number): Promise<StoredHead> {
    const at = iso(this.options.clock.now());
    const result = await this.writer.write({
      jobId,
      command: () => ({
        type: "RetryJob",
        at,
        actor,
        reason,
        ...(attempts === undefined ? {} : { attempts }),
      }),
    });
    return result._tag === "Repeat" ? this.get(jobId) : result.head;
  }

  async deadLetters(limit = 100): Promise<ReadonlyArray<StoredHead>> {
    const rows = await this.options.queue.deadLetters(limit);
    const heads = await this.options.store.loadHeads(rows.map((r) => r.jobId));
    return heads.filter((h): h is StoredHead => h !== null && statusOf(h.state) === "dead_letter");
  }

  /**
   * The dead letters as views, newest first: each folded from its own history, and kept only if
   * that fold is still `dead_letter` (one retried meanwhile is left out), in one pipelined read.
   */
  async deadLetterViews(limit = 100): Promise<ReadonlyArray<JobView>> {
    const rows = await this.options.queue.deadLetters(limit);
    const histories = await this.options.store.readEventsMany(rows.map((row) => row.jobId));
    const views = histories.map((events) => viewOf(events));
    return views.filter((view): view is JobView => view !== null && view.status === "dead_letter");
  }

  /** Retry every dead letter (up to `limit`), pipelined; returns how many were requeued. */
  async retryAllDeadLetters(actor: Actor, reason: string, limit = 1000): Promise<number> {
    const heads = await this.deadLetters(limit);
    const at = iso(this.options.clock.now());
    const results = await this.writer.writeMany(
      heads.map((head) => ({
        intent: { jobId: head.jobId, command: () => ({ type: "RetryJob" as const, at, actor, reason }) },
        known: head,
      })),
    );
    return results.filter((r) => isWriteResult(r) && r._tag === "Written").length;
  }
}
