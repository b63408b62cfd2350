/**
 * Job use cases for API clients and operators: submit (single and bulk), read, cancel, retry
 * dead letters. Each change is a command decided against the job's head and appended through
 * the JobWriter; nothing here talks to Redis directly.
 */
import * as Result from "effect/Result";
import {
  type Actor,
  decide,
  type DependencyEndStatus,
  type Envelope,
  fold,
  fitText,
  isDependencyEnd,
  isTraceparent,
  type JobCommand,
  type JobStatus,
  type Json,
  MAX_DEPENDENCIES,
  MAX_FLOW_DEPTH,
  MAX_FLOW_JOBS,
  MAX_REASON_LENGTH,
  MAX_SIGNAL_PAYLOAD_BYTES,
  type SubmitJob,
  statusOf,
} from "../../domain/index.ts";
import { type JobView, viewOf } from "../read/index.ts";
import {
  type Clock,
  CommandRefused,
  DependencyRefused,
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
import type { FlowChildRef } from "./flow-plan.ts";
import { dependencyStatuses } from "./dependency-statuses.ts";
import { newJobId, newJobIdInShard, shardOf } from "./job-ids.ts";
import {
  isWriteResult,
  JobWriter,
  type WriteFailure,
  type WriteIntent,
  type WriteResult,
} from "./job-writer.ts";
import { planFlow } from "./flow-plan.ts";
import { jobTree, type JobTree } from "./job-tree.ts";
import type {
  CancelNotices,
  DeadLetterIndex,
  DependencyLinks,
  EventStore,
  FlowStore,
  StoredHead,
} from "./ports.ts";
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
  /** Where dependency links are kept (ADR 0042); without it, dependents are not listed. */
  readonly links?: DependencyLinks;
  /** All-or-nothing appends for flows (ADR 0042); without it, flows are refused. */
  readonly flows?: FlowStore;
}

/** A flow's submit: its parent's id, and whether it was created (false: an idempotent repeat). */
export interface FlowSubmitted {
  readonly jobId: string;
  readonly created: boolean;
}

export interface Submitted {
  readonly jobId: string;
  /** False when an idempotency key named an existing job and nothing was appended. */
  readonly created: boolean;
  readonly head: StoredHead | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The payload a job was submitted with, from its history (its first event). */
const payloadOf = (events: ReadonlyArray<Envelope>): Json => {
  const first = events[0];
  return first?.type === "JobSubmitted" ? first.data.spec.payload : null;
};

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

  /**
   * Submit a flow (ADR 0042): the parent and its children (and theirs) as one all-or-nothing
   * append in the parent's shard; each job waits for its children. Rejects with InvalidJobSpec
   * (a bad spec, a bound passed, an idempotencyKey on a child), DependencyRefused or
   * QueueUnavailable; nothing is written then.
   */
  async submitFlow(
    input: unknown,
    actor: Actor,
    options: { readonly traceparent?: string } = {},
  ): Promise<FlowSubmitted> {
    const flows = this.options.flows;
    if (flows === undefined)
      throw new InvalidJobSpec({ field: "(flow)", message: "this engine has no flow store" });
    return inSubmitSpan("docket.submit_flow", options.traceparent, async (span, traceparent) => {
      const plan = planFlow(input, (key) => this.newId(key), this.options.shards);
      if (plan instanceof InvalidJobSpec || plan instanceof DependencyRefused) throw plan;
      span?.setAttribute("docket.job_id", plan.rootId);
      span?.setAttribute("docket.jobs", plan.jobs.length);
      const intents = plan.jobs.map((job) => {
        const intent = this.intentFor(job.input, actor, traceparent, {
          jobId: job.jobId,
          children: job.children,
        });
        if (Result.isFailure(intent))
          throw new InvalidJobSpec({
            field: `${job.path}.${intent.failure.field}`,
            message: intent.failure.message,
          });
        return intent.success;
      });
      const resolved = await this.withDependencies(intents);
      const refused = resolved.find((item) => item instanceof DependencyRefused);
      if (refused !== undefined) throw refused;
      if (this.options.links !== undefined)
        await Promise.all(
          plan.jobs.map((job) =>
            this.options.links?.link(
              job.jobId,
              job.children.map((c) => c.jobId),
            ),
          ),
        );
      const results = await this.writer.writeAll(resolved as ReadonlyArray<WriteIntent>, flows);
      const first = results[0];
      if (first?._tag !== "Repeat") return { jobId: plan.rootId, created: true };
      // A repeat made none of the plan's jobs: take back the links noted for them.
      await this.unlinkRepeats(
        intents.map((intent, i) => ({
          jobId: intent.jobId,
          dependsOn: [...intent.dependsOn, ...(plan.jobs[i]?.children ?? []).map((c) => c.jobId)],
        })),
      );
      return { jobId: first.jobId, created: false };
    });
  }

  /**
   * A job and the jobs it depends on, and theirs, from their heads (bounded; ADR 0042). A job that
   * has left Redis (ADR 0034) is read from the archive: its state folded from its history, as its
   * head said, and its dependencies as they ended (job-tree.ts).
   */
  async tree(jobId: string): Promise<JobTree> {
    const head = await this.options.store.loadHead(jobId);
    if (head !== null) return jobTree(this.options.store, head);
    const events = await this.options.store.readEvents(jobId);
    const last = events[events.length - 1];
    if (last === undefined) throw new JobNotFound({ jobId });
    return jobTree(this.options.store, {
      jobId,
      version: last.seq,
      lastHash: last.hash,
      state: fold(events),
      payload: payloadOf(events),
    });
  }

  /** The jobs that named this one in `dependsOn` and exist, at most `limit` (ADR 0042). */
  async dependents(jobId: string, limit = 100): Promise<ReadonlyArray<string>> {
    const links = this.options.links;
    if (links === undefined) return [];
    const ids = await links.dependents(jobId, limit);
    const heads = await this.options.store.loadHeads(ids);
    return ids.filter((_, i) => heads[i] !== null);
  }

  private newId(idempotencyKey: string | undefined): string {
    return idempotencyKey === undefined
      ? newJobId()
      : newJobIdInShard(shardOf(idempotencyKey, this.options.shards), this.options.shards);
  }

  /**
   * A submit's intent. For a flow's job, `flow` gives its id (placed in the flow's shard) and its
   * children, which join its dependencies (marked as children); `dependsOn` lists only the jobs
   * the spec itself named, which must exist.
   */
  private intentFor(
    input: unknown,
    actor: Actor,
    traceparent: string | undefined,
    flow?: { readonly jobId: string; readonly children: ReadonlyArray<FlowChildRef> },
  ): Result.Result<WriteIntent & { readonly dependsOn: ReadonlyArray<string> }, InvalidJobSpec> {
    const nowMs = this.options.clock.now();
    const normalised = normaliseSubmit(input, nowMs, this.options.maxPayloadBytes);
    if (Result.isFailure(normalised)) return Result.fail(normalised.failure);
    const { runAt } = normalised.success;
    const named = normalised.success.spec.dependsOn ?? [];
    const children = (flow?.children ?? []).map((c) => ({
      jobId: c.jobId,
      onFailure: c.onFailure,
      child: true as const,
    }));
    if (named.length + children.length > MAX_DEPENDENCIES)
      return Result.fail(
        new InvalidJobSpec({
          field: "dependsOn",
          message: `a job may depend on at most ${MAX_DEPENDENCIES} jobs, children included`,
        }),
      );
    const spec =
      children.length === 0
        ? normalised.success.spec
        : { ...normalised.success.spec, dependsOn: [...named, ...children] };
    const jobId = flow?.jobId ?? this.newId(spec.idempotencyKey);
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
      dependsOn: named.map((d) => d.jobId),
      command: () => command,
      create: {
        payload: spec.payload,
        ...(spec.idempotencyKey === undefined ? {} : { idempotencyKey: spec.idempotencyKey }),
      },
    });
  }

  /**
   * The dependencies named by each intent's spec (ADR 0042): refused when one does not exist,
   * else the intent with the ends already recorded in the dependencies' heads, so an ended
   * dependency counts at once; the links are noted before the submit is appended. One read for
   * all of them. A dependency that ends after this read is recorded by the dependency follower.
   */
  private async withDependencies(
    intents: ReadonlyArray<WriteIntent & { readonly dependsOn: ReadonlyArray<string> }>,
  ): Promise<ReadonlyArray<WriteIntent | DependencyRefused>> {
    const ids = [...new Set(intents.flatMap((intent) => intent.dependsOn))];
    if (ids.length === 0) return intents;
    // A dependency that has left Redis since it ended is read from the archive: it still counts.
    const statusOfId = await dependencyStatuses(this.options.store, ids);
    const linked: Array<Promise<void>> = [];
    const out = intents.map((intent): WriteIntent | DependencyRefused => {
      if (intent.dependsOn.length === 0) return intent;
      const missing = intent.dependsOn.find((id) => statusOfId.get(id) === null);
      if (missing !== undefined)
        return new DependencyRefused({
          code: "dependency_not_found",
          dependency: missing,
          message: `dependsOn names job ${missing}, which does not exist`,
        });
      const ended = intent.dependsOn.flatMap((jobId) => {
        const status = statusOfId.get(jobId);
        return status !== null && status !== undefined && isDependencyEnd(status)
          ? [{ jobId, status: status as DependencyEndStatus }]
          : [];
      });
      if (this.options.links !== undefined)
        linked.push(this.options.links.link(intent.jobId, intent.dependsOn));
      const command = intent.command;
      return {
        ...intent,
        command: (head: StoredHead) =>
          ({ ...(command(head) as SubmitJob), endedDependencies: ended }) as JobCommand,
      };
    });
    await Promise.all(linked);
    return out;
  }

  /**
   * Take back the dependency links noted before the append (withDependencies) for submits that
   * were idempotent repeats: their fresh ids never became jobs. Best effort: the repeat has been
   * answered, and a link left behind only lists a job that does not exist (readers skip it).
   */
  private async unlinkRepeats(
    repeats: ReadonlyArray<{ readonly jobId: string; readonly dependsOn: ReadonlyArray<string> }>,
  ): Promise<void> {
    const links = this.options.links;
    if (links === undefined) return;
    await Promise.all(
      repeats
        .filter((r) => r.dependsOn.length > 0)
        .map((r) => links.unlink(r.jobId, r.dependsOn).catch(() => undefined)),
    );
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
      const [resolved] = await this.withDependencies([intent.success]);
      if (resolved instanceof DependencyRefused || resolved === undefined) throw resolved;
      try {
        const submitted = this.submitted(await this.writer.write(resolved, null), jobId);
        if (submitted.jobId !== jobId) await this.unlinkRepeats([intent.success]);
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
      const checked = (
        await this.withDependencies(
          intents.flatMap((intent) => (Result.isSuccess(intent) ? [intent.success] : [])),
        )
      ).values();
      // withDependencies answers the valid intents in order; a refused one keeps its refusal.
      const resolved = intents.map((intent) =>
        Result.isFailure(intent) ? intent.failure : (checked.next().value as WriteIntent | DependencyRefused),
      );
      const valid = resolved.flatMap((item) => ("command" in item ? [item] : []));
      const written = (
        await this.writer.writeMany(valid.map((intent) => ({ intent, known: null })))
      ).values();
      // writeMany answers the valid intents in order; invalid ones keep their validation error.
      const answers = resolved.map((item) => {
        if (!("command" in item)) return item;
        const outcome = written.next().value as WriteResult | WriteFailure | Error;
        return isWriteResult(outcome) ? this.submitted(outcome, item.jobId) : outcome;
      });
      await this.unlinkRepeats(
        intents.flatMap((intent, i) => {
          const answer = answers[i];
          return Result.isSuccess(intent) &&
            answer !== undefined &&
            "created" in answer &&
            answer.jobId !== intent.success.jobId
            ? [intent.success]
            : [];
        }),
      );
      return answers;
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

  /**
   * A job's status: from its head while it is in Redis, else from its history, which the archive
   * answers once the job has left (ADR 0034). An idempotent repeat names a job that may have left
   * Redis, within DOCKET_RETAIN_IDEMPOTENCY_KEYS, or be leaving while the repeat is answered.
   */
  async status(jobId: string): Promise<JobStatus> {
    const head = await this.options.store.loadHead(jobId);
    return head === null ? (await this.view(jobId)).status : statusOf(head.state);
  }

  /** A job's view folded from its own history: always current (read-your-writes). */
  async view(jobId: string): Promise<JobView> {
    const view = viewOf(await this.events(jobId));
    if (view === null) throw new JobNotFound({ jobId });
    return view;
  }

  /**
   * Cancel a job: a pending, queued or failed job ends at once; a processing job ends
   * `cancelled` and its worker's handler is aborted (its lease is gone). A flow's parent takes
   * its unfinished descendants with it, in the same atomic append (ADR 0042).
   */
  async cancel(jobId: string, actor: Actor, reason?: string): Promise<StoredHead> {
    return this.cancelInRedis(jobId, actor, reason).catch((error: unknown) =>
      this.refusedIfEvicted(jobId, error, {
        type: "CancelJob",
        at: iso(this.options.clock.now()),
        actor,
        ...(reason === undefined ? {} : { reason }),
      }),
    );
  }

  /**
   * A command for a job that is not in Redis: if it has left after ending (ADR 0034), refused as
   * the machine refuses any command on a job recorded as evicted, saying so (`job_evicted`, with
   * the status it ended in), instead of "no job with id" — its history is in the archive and reads
   * answer from it. A `command` the machine would answer with no events, as already done (a cancel
   * of a cancelled job), is answered so here too, with the job's last state from the archive, as it
   * was while the job was in Redis. Anything else is rethrown as it was.
   */
  private async refusedIfEvicted(jobId: string, error: unknown, command: JobCommand): Promise<StoredHead> {
    if (error instanceof JobNotFound) {
      const events = await this.options.store.readEvents(jobId);
      const view = viewOf(events);
      const last = events[events.length - 1];
      if (view !== null && view.evictedAt !== null && last !== undefined) {
        const state = fold(events);
        const decided = decide(command, state);
        if (Result.isSuccess(decided) && decided.success.length === 0)
          return { jobId, version: last.seq, lastHash: last.hash, state, payload: payloadOf(events) };
      }
      if (view !== null && view.evictedAt !== null)
        throw new CommandRefused({
          jobId,
          code: "job_evicted",
          message: `job ${jobId} ended ${view.status} and has left Redis (its history is in the archive): it takes no more commands`,
          status: view.status,
        });
    }
    throw error;
  }

  private async cancelInRedis(jobId: string, actor: Actor, reason?: string): Promise<StoredHead> {
    const at = iso(this.options.clock.now());
    const cancelJob = (cause: string | undefined) => (): JobCommand => ({
      type: "CancelJob",
      at,
      actor,
      ...(cause === undefined ? {} : { reason: cause }),
    });
    const { root, cascade } = await this.descendantsToCancel(jobId, reason);
    const flows = this.options.flows;
    if (cascade.length === 0 || flows === undefined) {
      // The head read for the cascade serves the write (reloaded only on a conflict).
      const result = await this.writer.write({ jobId, command: cancelJob(reason) }, root);
      if (result._tag === "Repeat") return this.get(jobId);
      await this.announceCancels(result._tag === "Written" ? [jobId] : []);
      return result.head;
    }
    // One all-or-nothing append for the parent and every descendant that can still be
    // cancelled: a crash leaves the whole cascade recorded or none of it, never a cancelled
    // parent with its children still running. A descendant that ended meanwhile is left out.
    const results = await this.writer.writeTogether(
      [
        { intent: { jobId, command: cancelJob(reason) }, required: true },
        ...cascade.map((c) => ({ intent: { jobId: c.jobId, command: cancelJob(c.cause) }, required: false })),
      ],
      flows,
    );
    await this.announceCancels(
      results.flatMap((result, i) =>
        result?._tag === "Written" ? [i === 0 ? jobId : (cascade[i - 1]?.jobId ?? "")] : [],
      ),
    );
    const parent = results[0];
    return parent === null || parent === undefined || parent._tag === "Repeat"
      ? this.get(jobId)
      : parent.head;
  }

  /**
   * Announced before answering, so a handler hears of it about when the caller does. The cancel
   * is recorded whatever happens here: a lost announcement waits for the lease renewal instead.
   */
  private async announceCancels(jobIds: ReadonlyArray<string>): Promise<void> {
    const cancels = this.options.cancels;
    if (cancels === undefined) return;
    await Promise.all(jobIds.map((id) => cancels.announce(id).catch(() => undefined)));
  }

  /**
   * A flow parent's descendants (its children, theirs, …; ADR 0042), each with the cause its
   * cancel records: `parent <its parent> was cancelled: <why that one was>`. All of them, even
   * below a child that already ended (a `continue` policy may have released it before its own
   * children ended); the write leaves out those that cannot be cancelled. Jobs merely named by
   * `dependsOn` are not children: they may be shared, and are left alone. Only those in the
   * parent's shard (a flow's all are) can join its atomic append; bounded as flows are.
   */
  private async descendantsToCancel(
    jobId: string,
    reason: string | undefined,
  ): Promise<{
    readonly root: StoredHead | null;
    readonly cascade: ReadonlyArray<{ readonly jobId: string; readonly cause: string }>;
  }> {
    const shard = shardOf(jobId, this.options.shards);
    let root: StoredHead | null = null;
    const found: Array<{ jobId: string; cause: string }> = [];
    const seen = new Set([jobId]);
    let level: Array<{ jobId: string; cause: string | undefined }> = [{ jobId, cause: reason }];
    for (let depth = 0; depth < MAX_FLOW_DEPTH && level.length > 0; depth++) {
      const heads = await this.options.store.loadHeads(level.map((l) => l.jobId));
      if (depth === 0) root = heads[0] ?? null;
      const next: Array<{ jobId: string; cause: string }> = [];
      heads.forEach((head, i) => {
        const parent = level[i];
        if (head === null || parent === undefined) return;
        const cause = `parent ${parent.jobId} was cancelled${parent.cause === undefined ? "" : `: ${parent.cause}`}`;
        for (const d of head.state.context.dependencies) {
          if (d.child !== true || seen.has(d.jobId) || shardOf(d.jobId, this.options.shards) !== shard)
            continue;
          if (found.length + next.length >= MAX_FLOW_JOBS) break;
          seen.add(d.jobId);
          next.push({ jobId: d.jobId, cause: fitText(cause, MAX_REASON_LENGTH) });
        }
      });
      found.push(...next);
      level = next;
    }
    return { root, cascade: found };
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
    return this.command(jobId, {
      type: "SignalJob",
      at: iso(this.options.clock.now()),
      actor,
      name,
      ...(payload === undefined ? {} : { payload }),
    });
  }

  /** Manual retry of a dead-lettered job: recorded with actor and reason. */
  async retry(jobId: string, actor: Actor, reason: string, attempts?: number): Promise<StoredHead> {
    return this.command(jobId, {
      type: "RetryJob",
      at: iso(this.options.clock.now()),
      actor,
      reason,
      ...(attempts === undefined ? {} : { attempts }),
    });
  }

  /**
   * Write one command to a job, the same whatever its state. A job that has left Redis is
   * answered from its archived history (refusedIfEvicted).
   */
  private async command(jobId: string, command: JobCommand): Promise<StoredHead> {
    const result = await this.writer
      .write({ jobId, command: () => command })
      .catch(async (error: unknown): Promise<WriteResult> => ({
        _tag: "Unchanged",
        head: await this.refusedIfEvicted(jobId, error, command),
      }));
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
    // A dead letter recorded as evicted (retention, a purge) stays in the set until it leaves
    // Redis, for the auditor; it can no longer be retried (job_evicted), so it is not listed.
    return views.filter(
      (view): view is JobView => view !== null && view.status === "dead_letter" && view.evictedAt === null,
    );
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
