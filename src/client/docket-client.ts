/**
 * The typed TypeScript client for Docket's HTTP API: one method per operation, its argument and
 * answer types derived from the API contract's schemas (types.ts). Fetch only (transport.ts);
 * every non-2xx answer becomes a DocketApiError carrying the API's stable `code`.
 */
import { readEventStream, type StreamMessage, type StreamOptions } from "./event-stream.ts";
import { Transport } from "./transport.ts";
import { WebhooksClient } from "./webhooks-client.ts";
import { waitForJob } from "./wait.ts";
import type {
  BulkItem,
  CheckReport,
  CreateScheduleRequest,
  ScheduleHistory,
  ScheduleView,
  UpdateScheduleRequest,
  DocketClientOptions,
  Envelope,
  Explanation,
  FlowRequest,
  FlowSubmitted,
  Health,
  JobTree,
  Instant,
  JobLogLine,
  JobLogs,
  JobPage,
  JobsAt,
  JobStatus,
  JobView,
  ListFilter,
  Metrics,
  PurgeRequest,
  QuarantineRecord,
  RebuildReport,
  ReplayReport,
  RetryRequest,
  SignalRequest,
  StateAt,
  SubmitRequest,
  VerifyReport,
  VerifyRequest,
  WaitOptions,
  WorkerInfo,
} from "./types.ts";

const instant = (at: Instant): string => (at instanceof Date ? at.toISOString() : String(at));
const job = (id: string): string => `/v1/jobs/${encodeURIComponent(id)}`;
const schedule = (name: string): string => `/v1/schedules/${encodeURIComponent(name)}`;

export class DocketClient {
  private readonly http: Transport;
  /** Webhook subscriptions and their deliveries (ADR 0038). */
  readonly webhooks: WebhooksClient;

  constructor(options: DocketClientOptions) {
    this.http = new Transport(options);
    this.webhooks = new WebhooksClient(this.http);
  }

  /**
   * Submit a job. `traceparent` (W3C Trace Context) is sent as the `traceparent` header: the
   * submit continues that trace and the job records it, so its attempts join it (ADR 0031).
   */
  submit(
    spec: SubmitRequest,
    options: { readonly idempotencyKey?: string; readonly traceparent?: string } = {},
  ): Promise<JobView> {
    return this.http.call("POST", "/v1/jobs", {
      body: spec,
      headers: {
        ...(options.idempotencyKey === undefined ? {} : { "idempotency-key": options.idempotencyKey }),
        ...(options.traceparent === undefined ? {} : { traceparent: options.traceparent }),
      },
    });
  }

  async submitMany(
    specs: ReadonlyArray<SubmitRequest>,
    options: { readonly traceparent?: string } = {},
  ): Promise<ReadonlyArray<BulkItem>> {
    const answer = await this.http.call<{ readonly jobs: ReadonlyArray<BulkItem> }>("POST", "/v1/jobs/bulk", {
      body: { jobs: specs },
      headers: options.traceparent === undefined ? {} : { traceparent: options.traceparent },
    });
    return answer.jobs;
  }

  get(id: string): Promise<JobView> {
    return this.http.call("GET", job(id));
  }

  /**
   * Submit a flow (ADR 0042): a parent job and its children (and theirs), all or nothing. The
   * parent waits until its children end; answers the flow's jobs as a tree.
   */
  submitFlow(flow: FlowRequest, options: { readonly traceparent?: string } = {}): Promise<FlowSubmitted> {
    return this.http.call("POST", "/v1/flows", {
      body: flow,
      headers: options.traceparent === undefined ? {} : { traceparent: options.traceparent },
    });
  }

  /** A job and the jobs it depends on, and theirs (ADR 0042). */
  tree(id: string): Promise<JobTree> {
    return this.http.call("GET", `${job(id)}/tree`);
  }

  /** Create a schedule: `job` submitted at each tick of `cron` in `timezone` (ADR 0037). */
  createSchedule(request: CreateScheduleRequest): Promise<ScheduleView> {
    return this.http.call("POST", "/v1/schedules", { body: request });
  }

  async schedules(): Promise<ReadonlyArray<ScheduleView>> {
    return (await this.http.call<{ readonly schedules: ReadonlyArray<ScheduleView> }>("GET", "/v1/schedules"))
      .schedules;
  }

  /** A schedule with its next fire times and its latest firings and skips. */
  schedule(name: string): Promise<ScheduleView> {
    return this.http.call("GET", schedule(name));
  }

  /** Its events as stored, and whether they verify (hash chain and machine). */
  scheduleHistory(name: string): Promise<ScheduleHistory> {
    return this.http.call("GET", `${schedule(name)}/history`);
  }

  updateSchedule(name: string, change: UpdateScheduleRequest): Promise<ScheduleView> {
    return this.http.call("PATCH", schedule(name), { body: change });
  }

  pauseSchedule(name: string): Promise<ScheduleView> {
    return this.http.call("POST", `${schedule(name)}/pause`);
  }

  resumeSchedule(name: string): Promise<ScheduleView> {
    return this.http.call("POST", `${schedule(name)}/resume`);
  }

  removeSchedule(name: string): Promise<ScheduleView> {
    return this.http.call("DELETE", schedule(name));
  }

  list(filter: ListFilter = {}): Promise<JobPage> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filter))
      if (value !== undefined) query.set(key, value instanceof Date ? value.toISOString() : String(value));
    const qs = query.toString();
    return this.http.call("GET", `/v1/jobs${qs === "" ? "" : `?${qs}`}`);
  }

  async events(id: string): Promise<ReadonlyArray<Envelope>> {
    return (await this.http.call<{ readonly events: ReadonlyArray<Envelope> }>("GET", `${job(id)}/events`))
      .events;
  }

  /** The job's log: its handler's lines and the lifecycle lines derived from its events. */
  async logs(id: string): Promise<ReadonlyArray<JobLogLine>> {
    return (await this.http.call<JobLogs>("GET", `${job(id)}/logs`)).lines;
  }

  cancel(id: string, reason?: string): Promise<JobView> {
    return this.http.call("POST", `${job(id)}/cancel`, { body: reason === undefined ? {} : { reason } });
  }

  /**
   * Send the signal `name` to a job (its handler's `ctx.waitFor(name)`, ADR 0043), with an
   * optional JSON payload. A job waiting for it resumes at once; one not yet waiting keeps it.
   * Each name is received once per job: a repeat is a DocketApiError 409 `signal_already_received`.
   */
  signal(id: string, name: string, payload?: SignalRequest["payload"]): Promise<JobView> {
    return this.http.call("POST", `${job(id)}/signal`, {
      body: payload === undefined ? { name } : { name, payload },
    });
  }

  retry(id: string, options: RetryRequest = {}): Promise<JobView> {
    return this.http.call("POST", `${job(id)}/retry`, { body: options });
  }

  /**
   * Purge finished jobs from Redis: up to `limit` that ended in `status` at least `olderThan`
   * (e.g. "7d") ago. Recorded on each job (JobEvicted); their history stays in the archive.
   */
  async purge(request: PurgeRequest): Promise<number> {
    return (await this.http.call<{ readonly purged: number }>("POST", "/v1/jobs/purge", { body: request }))
      .purged;
  }

  async deadLetters(limit?: number): Promise<ReadonlyArray<JobView>> {
    const qs = limit === undefined ? "" : `?limit=${limit}`;
    return (await this.http.call<{ readonly jobs: ReadonlyArray<JobView> }>("GET", `/v1/dead-letters${qs}`))
      .jobs;
  }

  /** Retry every dead letter, with the reason recorded on each; how many were requeued. */
  async retryDeadLetters(reason?: string): Promise<number> {
    const body = reason === undefined ? {} : { reason };
    return (await this.http.call<{ readonly retried: number }>("POST", "/v1/dead-letters/retry", { body }))
      .retried;
  }

  metrics(): Promise<Metrics> {
    return this.http.call("GET", "/v1/metrics");
  }

  async workers(): Promise<ReadonlyArray<WorkerInfo>> {
    return (await this.http.call<{ readonly workers: ReadonlyArray<WorkerInfo> }>("GET", "/v1/workers"))
      .workers;
  }

  /** `ok` or `degraded`; Redis unreachable is a DocketApiError (503, `queue_unreachable`). */
  health(): Promise<Health> {
    return this.http.call("GET", "/health");
  }

  /** Replay a job from its stored events (`ok: false` names the first bad event). */
  replay(id: string): Promise<ReplayReport> {
    return this.http.call("GET", `${job(id)}/replay`);
  }

  /** A plain-language account of why a job ended where it did (`integrity` names a broken history). */
  explain(id: string): Promise<Explanation> {
    return this.http.call("GET", `${job(id)}/explain`);
  }

  /** A job's state as it was at a time (`existed: false` before its first event). */
  stateAt(id: string, at: Instant): Promise<StateAt> {
    return this.http.call("GET", `${job(id)}/state?at=${encodeURIComponent(instant(at))}`);
  }

  /** The jobs that were in `status` at a time, from the event log. */
  jobsAt(status: JobStatus, at: Instant, options: { readonly limit?: number } = {}): Promise<JobsAt> {
    const query = new URLSearchParams({ status, at: instant(at) });
    if (options.limit !== undefined) query.set("limit", String(options.limit));
    return this.http.call("GET", `/v1/jobs?${query.toString()}`);
  }

  /** Verify the event store (whole, or one job) and, for the whole log, the projection. */
  verify(options: VerifyRequest = {}): Promise<VerifyReport> {
    return this.http.call("POST", "/v1/audit/verify", {
      body: options,
      timeoutMs: this.http.wholeLogTimeoutMs,
    });
  }

  /** Export an audit bundle: its NDJSON text, streamed as it arrives (chunks, not lines). */
  async *exportBundle(
    options: { readonly jobId?: string; readonly since?: Instant } = {},
  ): AsyncGenerator<Uint8Array> {
    const query = new URLSearchParams();
    if (options.jobId !== undefined) query.set("jobId", options.jobId);
    if (options.since !== undefined) query.set("since", instant(options.since));
    const qs = query.toString();
    const path = `/v1/audit/export${qs === "" ? "" : `?${qs}`}`;
    const response = await this.http.send("GET", path, {
      headers: { accept: "application/x-ndjson" },
      timeoutMs: this.http.wholeLogTimeoutMs,
    });
    if (!response.ok || response.body === null) {
      await this.http.json<never>("GET", path, response);
      return;
    }
    for await (const chunk of response.body) yield chunk;
  }

  /** Replay the whole log into a new projection file and swap it in (the API owns the file). */
  rebuildProjection(): Promise<RebuildReport> {
    return this.http.call("POST", "/v1/projections/rebuild", { timeoutMs: this.http.wholeLogTimeoutMs });
  }

  /** Rebuild into a scratch file and compare it with the live projection, row for row. */
  checkProjection(): Promise<CheckReport> {
    return this.http.call("POST", "/v1/projections/check", { timeoutMs: this.http.wholeLogTimeoutMs });
  }

  /**
   * Skip one undecodable shard-log entry in every projection from now on, recorded with the
   * reason and the caller (ADR 0019). Refused (DocketApiError) for an unknown entry
   * (`log_entry_not_found`), a valid event (`log_entry_valid`) or one already quarantined
   * (`already_quarantined`).
   */
  quarantine(shard: number, entryId: string, reason: string): Promise<QuarantineRecord> {
    return this.http.call("POST", "/v1/projections/quarantine", { body: { shard, entryId, reason } });
  }

  /**
   * Follow a job until it ends (completed, cancelled or dead_letter) and return its final view,
   * over the event stream (wait.ts): through API restarts and outages it reconnects and resumes.
   * Past `timeoutMs`, a DocketApiError 408 `wait_timeout`.
   */
  wait(id: string, options: WaitOptions = {}): Promise<JobView> {
    return waitForJob(this.http, id, options);
  }

  /**
   * The event stream (`GET /v1/events`): each job event as the API's projector commits it, with
   * the id to resume after it (`lastEventId`), until `signal` ends it or the server closes it.
   */
  stream(options: StreamOptions = {}): AsyncGenerator<StreamMessage> {
    return readEventStream(this.http, options);
  }
}
