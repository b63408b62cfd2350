/**
 * The in-process API (ADR 0032): `connect()` to a deployment (its Redis, key prefix and shard
 * count), then submit, read, wait for, cancel and retry jobs, and create workers, in this
 * process, without the HTTP API. The same engine the API and the CLI run, from the composition
 * root (`openEngine`, `openWorker`); what it records is what they record, with this process as
 * the events' actor.
 */
import type { Actor, Envelope, Json } from "../domain/index.ts";
import type {
  CreateScheduleRequest,
  ScheduleView,
  SubmitRequest,
  UpdateScheduleRequest,
  FlowRequest,
  JobTree,
} from "../contract/index.ts";
import type { Scheduler } from "../engine/schedule/index.ts";
import type { JobView } from "../engine/read/index.ts";
import type { EngineError } from "../engine/shared/index.ts";
import type { WebhookService } from "../engine/webhooks/index.ts";
import { type ArchiveAccess, type DocketConfig, type Engine, openEngine } from "../main.ts";
import type { JobPayloads, JobType } from "./handlers.ts";
import { type DocketWorker, openDocketWorker, type WorkerOptions } from "./worker.ts";

export interface ConnectOptions {
  /** The deployment's Redis (default `redis://127.0.0.1:6379`). */
  readonly redisUrl?: string;
  /** Its key prefix (default `docket`), as `DOCKET_PREFIX` for the CLI. */
  readonly prefix?: string;
  /** Its shard count (default 1), as `DOCKET_SHARDS`: every process of a deployment must agree. */
  readonly shards?: number;
  /** A work entry idle this long is reclaimed from its worker (default 30 s), as `DOCKET_LEASE_MS`. */
  readonly leaseMs?: number;
  /** Recorded as `actor.id` (kind `client`) of what this process submits, cancels and retries (default `in-process`). */
  readonly actor?: string;
  /** How long `connect` waits for Redis before failing with QueueUnavailable (default 5 s). */
  readonly timeoutMs?: number;
  /**
   * The deployment's archive (ADR 0034), as `DOCKET_ARCHIVE_DIR`, `DOCKET_DATA_DIR` (where the
   * signing key is) and the key settings for the CLI: jobs that have left Redis, and their
   * idempotent repeats, read from it, and its workers resume durable jobs from it. Absent:
   * such reads fail with ArchiveNeeded.
   */
  readonly archive?: ArchiveAccess;
}

/** Everything of a job spec but its type and payload: queue, priority, attempts, backoff, delays, idempotency. */
export type SubmitOptions = Omit<SubmitRequest, "type" | "payload">;

/** One job of `submitMany`: its type, the payload that type takes, and its options. */
export type JobRequest<P extends JobPayloads> = {
  readonly [K in JobType<P>]: { readonly type: K; readonly payload: P[K] } & SubmitOptions;
}[JobType<P>];

/** What `submitMany` says of each job, by its index: submitted (or an idempotent repeat), or why not. */
export type SubmitOutcome =
  | { readonly index: number; readonly id: string; readonly created: boolean }
  | { readonly index: number; readonly error: EngineError | Error };

export interface WaitOptions {
  /** Give up after this long with a WaitTimeout (default: wait for ever). */
  readonly timeoutMs?: number;
  /** How often to look (default 100 ms). */
  readonly pollMs?: number;
  /** Called whenever the job changes (a new event: progress, a log line, an attempt…). */
  readonly onUpdate?: (job: JobView) => void;
}

/** `wait` gave up: the job had not ended within `timeoutMs`. */
export class WaitTimeout extends Error {
  override readonly name = "WaitTimeout";
  constructor(
    readonly job: JobView,
    readonly timeoutMs: number,
  ) {
    super(`job ${job.id} is still ${job.status} after ${timeoutMs} ms`);
  }
}

const ENDED: ReadonlySet<JobView["status"]> = new Set(["completed", "cancelled", "dead_letter"]);

/** Whether a job has ended: completed, cancelled or dead-lettered (a manual retry can revive the last). */
export const hasEnded = (job: JobView): boolean => ENDED.has(job.status);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A connection to one deployment. `P` maps job types to payload types (`PayloadsOf<typeof
 * handlers>`); without it, any job type and any JSON payload are accepted by the types and
 * checked at run time.
 */
export class Docket<P extends JobPayloads = Record<string, unknown>> {
  private readonly workers = new Set<DocketWorker>();
  private scheduler: Scheduler | undefined;
  /**
   * Webhook subscriptions and their deliveries (ADR 0038): `create`, `list`, `get`, `remove`,
   * `deliveries`, `delivery`, `retry`. Deliveries are sent by `docket api`/`docket start`.
   */
  readonly webhooks: WebhookService;

  /** Use `connect()`. */
  constructor(
    private readonly engine: Engine & { readonly webhooks: WebhookService; close(): Promise<void> },
    private readonly config: DocketConfig,
    private readonly actor: Actor,
  ) {
    this.webhooks = engine.webhooks;
  }

  /** Submit one job; its view as submitted (an idempotent repeat answers the first job). */
  async submit<K extends JobType<P>>(type: K, payload: P[K], options: SubmitOptions = {}): Promise<JobView> {
    const submitted = await this.engine.jobs.submit(this.specOf(type, payload, options), this.actor);
    return this.engine.jobs.view(submitted.jobId);
  }

  /** Submit many jobs in few round trips; each succeeds or fails on its own. */
  async submitMany(jobs: ReadonlyArray<JobRequest<P>>): Promise<ReadonlyArray<SubmitOutcome>> {
    const specs = jobs.map(({ type, payload, ...options }) =>
      this.specOf(type, payload, options as SubmitOptions),
    );
    const outcomes = await this.engine.jobs.submitMany(specs, this.actor);
    return outcomes.map((outcome, index) =>
      "created" in outcome
        ? { index, id: outcome.jobId, created: outcome.created }
        : { index, error: outcome },
    );
  }

  /**
   * Submit a flow (ADR 0042): a parent job and its children (and theirs), all or nothing; the
   * parent waits until they end (a worker releases it). Answers the flow's jobs as a tree.
   */
  async submitFlow(flow: FlowRequest): Promise<{ readonly created: boolean; readonly tree: JobTree }> {
    const submitted = await this.engine.jobs.submitFlow(flow, this.actor);
    return { created: submitted.created, tree: await this.engine.jobs.tree(submitted.jobId) };
  }

  /** A job and the jobs it depends on, and theirs (ADR 0042). */
  tree(id: string): Promise<JobTree> {
    return this.engine.jobs.tree(id);
  }

  /** A job as it is now, folded from its own history (read-your-writes). JobNotFound if none. */
  get(id: string): Promise<JobView> {
    return this.engine.jobs.view(id);
  }

  /** Its events, hash-chained, in order (what `docket jobs events` shows). */
  events(id: string): Promise<ReadonlyArray<Envelope>> {
    return this.engine.jobs.events(id);
  }

  /** Resolves with the job once it has ended (completed, cancelled or dead-lettered). */
  async wait(id: string, options: WaitOptions = {}): Promise<JobView> {
    const deadline =
      options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
    let version = -1;
    for (;;) {
      const job = await this.get(id);
      if (job.version !== version) {
        version = job.version;
        options.onUpdate?.(job);
      }
      if (hasEnded(job)) return job;
      if (Date.now() >= deadline) throw new WaitTimeout(job, options.timeoutMs ?? 0);
      await sleep(options.pollMs ?? 100);
    }
  }

  /** Cancel a job that has not ended (a running handler's signal is aborted); CommandRefused otherwise. */
  async cancel(id: string, options: { readonly reason?: string } = {}): Promise<JobView> {
    await this.engine.jobs.cancel(id, this.actor, options.reason);
    return this.get(id);
  }

  /**
   * Send the signal `name` to a job (its handler's `ctx.waitFor(name)`, ADR 0043): a job waiting
   * for it resumes at once; one not yet waiting keeps it. CommandRefused
   * `signal_already_received` for a name the job already has.
   */
  async signal(id: string, name: string, payload?: Json): Promise<JobView> {
    await this.engine.jobs.signal(id, this.actor, name, payload);
    return this.get(id);
  }

  /** Retry a dead-lettered job, recorded with this process as actor and the reason. */
  async retry(
    id: string,
    options: { readonly reason?: string; readonly attempts?: number } = {},
  ): Promise<JobView> {
    await this.engine.jobs.retry(id, this.actor, options.reason ?? "manual retry", options.attempts);
    return this.get(id);
  }

  /** Dead-lettered jobs, newest first (at most `limit`, default 100). */
  deadLetters(limit?: number): Promise<ReadonlyArray<JobView>> {
    return this.engine.jobs.deadLetterViews(limit);
  }

  /**
   * Schedules (ADR 0037): create, read, list, change, pause, resume and remove, recorded with this
   * process as actor. Their ticks fire wherever a scheduler runs (`docket api`, `start`, `worker`,
   * or `runScheduler()` here); exactly once however many run.
   */
  readonly schedules = {
    create: (request: CreateScheduleRequest): Promise<ScheduleView> =>
      this.engine.schedules.create(request, this.actor),
    list: (): Promise<ReadonlyArray<ScheduleView>> => this.engine.schedules.list(),
    get: (name: string): Promise<ScheduleView> => this.engine.schedules.view(name),
    update: (name: string, change: UpdateScheduleRequest): Promise<ScheduleView> =>
      this.engine.schedules.update(name, change, this.actor),
    pause: (name: string): Promise<ScheduleView> => this.engine.schedules.pause(name, this.actor),
    resume: (name: string): Promise<ScheduleView> => this.engine.schedules.resume(name, this.actor),
    remove: (name: string): Promise<ScheduleView> => this.engine.schedules.remove(name, this.actor),
  };

  /**
   * Run the scheduler role in this process too (until `close()`): it fires due ticks of every
   * schedule of the deployment. `id` names it in the events it records (default: the actor's).
   */
  runScheduler(
    options: { readonly id?: string; readonly intervalMs?: number; readonly graceMs?: number } = {},
  ): void {
    if (this.scheduler !== undefined) return;
    this.scheduler = this.engine.scheduler({
      id: options.id ?? this.actor.id,
      ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
      ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
    });
    this.scheduler.start();
  }

  /**
   * A worker for some or all of the job types, with its own connections; not started: `run()`.
   * Closing this Docket stops it.
   */
  async worker(options: WorkerOptions<P>): Promise<DocketWorker> {
    const worker = await openDocketWorker(this.config, options);
    this.workers.add(worker);
    return worker;
  }

  /** Stop the workers made here (with their grace period) and close the connection. */
  async close(): Promise<void> {
    await Promise.all([...this.workers].map((worker) => worker.stop()));
    this.workers.clear();
    await this.scheduler?.stop();
    await this.engine.close();
  }

  private specOf(type: string, payload: unknown, options: SubmitOptions): unknown {
    return payload === undefined ? { ...options, type } : { ...options, type, payload };
  }
}

/**
 * Connect to a deployment once its Redis answers (QueueUnavailable after `timeoutMs`;
 * RedisAuthRefused at once for a refused password). `P`: the payload type of each job type,
 * e.g. `connect<PayloadsOf<typeof handlers>>(…)`.
 */
export const connect = async <P extends JobPayloads = Record<string, unknown>>(
  options: ConnectOptions = {},
): Promise<Docket<P>> => {
  const actor: Actor = { kind: "client", id: options.actor ?? "in-process" };
  if (actor.id.length === 0 || actor.id.length > 256 || !actor.id.isWellFormed())
    throw new TypeError(`actor ${JSON.stringify(actor.id)}: 1 to 256 characters of well-formed text`);
  const config: DocketConfig = {
    redisUrl: options.redisUrl ?? "redis://127.0.0.1:6379",
    prefix: options.prefix ?? "docket",
    shards: options.shards ?? 1,
    leaseMs: options.leaseMs ?? 30_000,
    ...(options.archive === undefined ? {} : { archive: options.archive }),
  };
  const engine = await openEngine({
    ...config,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return new Docket<P>(engine, config, actor);
};
