/**
 * The typed TypeScript client for Docket's HTTP API. Uses the global `fetch` (Node ≥ 18); every
 * non-2xx answer becomes a DocketApiError carrying the API's stable `code`.
 */
import type { Envelope, JobStatus } from "../domain/index.ts";
import type { Explanation, ReplayReport, StateAt, VerifyReport } from "../engine/audit/index.ts";
import type { JobPage, JobView, QuarantineRecord } from "../engine/read/index.ts";
import type { SubmitRequest } from "../engine/write/index.ts";
import type { WorkerInfo } from "../engine/worker/index.ts";

export type {
  Envelope,
  Explanation,
  JobPage,
  JobStatus,
  JobView,
  QuarantineRecord,
  ReplayReport,
  StateAt,
  SubmitRequest,
  VerifyReport,
  WorkerInfo,
};

/** `GET /v1/jobs?status=…&at=…`: the jobs that were in a status at a time (from the log). */
export interface JobsAt {
  readonly status: JobStatus;
  readonly asOf: string;
  /** Their views as of then, oldest first, at most `limit`. */
  readonly jobs: ReadonlyArray<JobView>;
  /** How many jobs matched in all. */
  readonly total: number;
  readonly scanned: { readonly entries: number; readonly jobs: number };
  readonly unreadable: ReadonlyArray<{
    readonly jobId: string;
    readonly seq: number;
    readonly reason: string;
  }>;
}

/** A point in time for the audit routes: a Date, epoch ms, or an ISO 8601 string. */
export type Instant = Date | number | string;
const instant = (at: Instant): string => (at instanceof Date ? at.toISOString() : String(at));

export class DocketApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "DocketApiError";
  }
}

export interface DocketClientOptions {
  /** e.g. http://127.0.0.1:3000 */
  readonly baseUrl: string;
  readonly token?: string;
  /**
   * Sent as the `Docket-Actor` header: recorded in the events of submits, cancels and retries as
   * an unauthenticated claim beside the authenticated principal (the token's name). 1 to 128 of
   * A-Z a-z 0-9 _ . @ : - (the API answers 400 otherwise).
   */
  readonly actor?: string;
  /** Per request (default 30 s). */
  readonly timeoutMs?: number;
  /** For verify, export and projection rebuild/check, which read the whole log (default 30 min). */
  readonly wholeLogTimeoutMs?: number;
}

export type BulkItem =
  | { readonly index: number; readonly id: string; readonly status: JobStatus; readonly created: boolean }
  | { readonly index: number; readonly error: { readonly code: string; readonly message: string } };

export interface ListFilter {
  readonly status?: JobStatus;
  readonly type?: string;
  readonly queue?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface WaitOptions {
  /** Give up after this long (default: wait forever). */
  readonly timeoutMs?: number;
  /** Poll interval (default 250 ms). */
  readonly pollMs?: number;
  /** Called whenever the job's version changes (progress, attempts, ...). */
  readonly onUpdate?: (job: JobView) => void;
}

const ENDED: ReadonlySet<JobStatus> = new Set(["completed", "cancelled", "dead_letter"]);
export const isEnded = (job: JobView): boolean => ENDED.has(job.status);

/** The body of a response as JSON; a non-2xx answer becomes a DocketApiError. */
const parse = async (method: string, path: string, response: Response): Promise<unknown> => {
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof error?.code === "string" ? error.code : `http_${response.status}`;
    const message =
      typeof error?.message === "string" ? error.message : `${method} ${path}: HTTP ${response.status}`;
    const { code: _code, message: _message, ...details } = (error ?? {}) as Record<string, unknown>;
    throw new DocketApiError(response.status, code, message, details);
  }
  return parsed;
};

export class DocketClient {
  private readonly baseUrl: string;

  /** Whole-log operations (verify, export, projection rebuild/check) take as long as the log. */
  private readonly wholeLogTimeoutMs: number;

  constructor(private readonly options: DocketClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.wholeLogTimeoutMs = options.wholeLogTimeoutMs ?? 30 * 60_000;
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    timeoutMs = this.options.timeoutMs ?? 30_000,
  ): Promise<T> {
    const response = await this.send(method, path, body, headers, timeoutMs);
    return (await parse(method, path, response)) as T;
  }

  private send(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    timeoutMs = this.options.timeoutMs ?? 30_000,
  ): Promise<Response> {
    // The API refuses a state-changing request without the JSON media type (a browser could send
    // it cross-origin without a preflight), so every POST carries a JSON body, `{}` at least.
    const sent = body === undefined && method !== "GET" ? {} : body;
    return fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        accept: "application/json",
        ...(sent === undefined ? {} : { "content-type": "application/json" }),
        ...(this.options.token === undefined ? {} : { authorization: `Bearer ${this.options.token}` }),
        ...(this.options.actor === undefined ? {} : { "docket-actor": this.options.actor }),
        ...headers,
      },
      ...(sent === undefined ? {} : { body: JSON.stringify(sent) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  submit(spec: SubmitRequest, options: { readonly idempotencyKey?: string } = {}): Promise<JobView> {
    return this.call(
      "POST",
      "/v1/jobs",
      spec,
      options.idempotencyKey === undefined ? {} : { "idempotency-key": options.idempotencyKey },
    );
  }

  async submitMany(specs: ReadonlyArray<SubmitRequest>): Promise<ReadonlyArray<BulkItem>> {
    return (await this.call<{ jobs: ReadonlyArray<BulkItem> }>("POST", "/v1/jobs/bulk", { jobs: specs }))
      .jobs;
  }

  get(id: string): Promise<JobView> {
    return this.call("GET", `/v1/jobs/${encodeURIComponent(id)}`);
  }

  list(filter: ListFilter = {}): Promise<JobPage> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) if (value !== undefined) query.set(key, String(value));
    const qs = query.toString();
    return this.call("GET", `/v1/jobs${qs === "" ? "" : `?${qs}`}`);
  }

  async events(id: string): Promise<ReadonlyArray<Envelope>> {
    return (
      await this.call<{ events: ReadonlyArray<Envelope> }>("GET", `/v1/jobs/${encodeURIComponent(id)}/events`)
    ).events;
  }

  cancel(id: string, reason?: string): Promise<JobView> {
    return this.call(
      "POST",
      `/v1/jobs/${encodeURIComponent(id)}/cancel`,
      reason === undefined ? {} : { reason },
    );
  }

  retry(
    id: string,
    options: { readonly reason?: string; readonly attempts?: number } = {},
  ): Promise<JobView> {
    return this.call("POST", `/v1/jobs/${encodeURIComponent(id)}/retry`, options);
  }

  async deadLetters(limit?: number): Promise<ReadonlyArray<JobView>> {
    const qs = limit === undefined ? "" : `?limit=${limit}`;
    return (await this.call<{ jobs: ReadonlyArray<JobView> }>("GET", `/v1/dead-letters${qs}`)).jobs;
  }

  metrics(): Promise<Record<string, unknown>> {
    return this.call("GET", "/v1/metrics");
  }

  async workers(): Promise<ReadonlyArray<WorkerInfo>> {
    return (await this.call<{ workers: ReadonlyArray<WorkerInfo> }>("GET", "/v1/workers")).workers;
  }

  health(): Promise<Record<string, unknown>> {
    return this.call("GET", "/health");
  }

  /** Replay a job from its stored events (`ok: false` names the first bad event). */
  replay(id: string): Promise<ReplayReport> {
    return this.call("GET", `/v1/jobs/${encodeURIComponent(id)}/replay`);
  }

  /** A plain-language account of why a job ended where it did (`integrity` names a broken history). */
  explain(id: string): Promise<Explanation> {
    return this.call("GET", `/v1/jobs/${encodeURIComponent(id)}/explain`);
  }

  /** A job's state as it was at a time (`existed: false` before its first event). */
  stateAt(id: string, at: Instant): Promise<StateAt> {
    return this.call("GET", `/v1/jobs/${encodeURIComponent(id)}/state?at=${encodeURIComponent(instant(at))}`);
  }

  /** The jobs that were in `status` at a time, from the event log. */
  jobsAt(status: JobStatus, at: Instant, options: { readonly limit?: number } = {}): Promise<JobsAt> {
    const query = new URLSearchParams({ status, at: instant(at) });
    if (options.limit !== undefined) query.set("limit", String(options.limit));
    return this.call("GET", `/v1/jobs?${query.toString()}`);
  }

  /** Verify the event store (whole, or one job) and, for the whole log, the projection. */
  verify(options: { readonly jobId?: string; readonly drained?: boolean } = {}): Promise<VerifyReport> {
    return this.call("POST", "/v1/audit/verify", options, {}, this.wholeLogTimeoutMs);
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
    const response = await this.send(
      "GET",
      path,
      undefined,
      { accept: "application/x-ndjson" },
      this.wholeLogTimeoutMs,
    );
    if (!response.ok || response.body === null) {
      await parse("GET", path, response);
      return;
    }
    for await (const chunk of response.body) yield chunk;
  }

  /**
   * Skip one undecodable shard-log entry in every projection from now on, recorded with the
   * reason and the caller (ADR 0019). Refused (DocketApiError) for an unknown entry
   * (`log_entry_not_found`), a valid event (`log_entry_valid`) or one already quarantined
   * (`already_quarantined`).
   */
  quarantine(shard: number, entryId: string, reason: string): Promise<QuarantineRecord> {
    return this.call("POST", "/v1/projections/quarantine", { shard, entryId, reason });
  }

  /** POST to an API path without a typed wrapper (admin routes such as /v1/projections/check). */
  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call("POST", path, body, {}, this.wholeLogTimeoutMs);
  }

  /** Poll until the job ends (completed, cancelled or dead_letter) and return its final view. */
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
      if (isEnded(job)) return job;
      if (Date.now() >= deadline)
        throw new DocketApiError(
          408,
          "wait_timeout",
          `job ${id} is still ${job.status} after ${options.timeoutMs} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
    }
  }
}
