/**
 * The types the typed client takes and returns, all derived from the API contract's schemas
 * (src/contract): nothing here is written by hand twice. Type-only imports, so using the client
 * loads none of the schemas.
 */
export type {
  BulkItem,
  CheckReport,
  CreateScheduleRequest,
  ScheduleFiring,
  ScheduleHistory,
  ScheduleView,
  UpdateScheduleRequest,
  CreateWebhookRequest,
  Delivery,
  DeliveryAttempt,
  DeliveryDetail,
  DeliveryStatus,
  HookAccepted,
  Webhook,
  WebhookCreated,
  Envelope,
  Explanation,
  FlowChild,
  FlowRequest,
  FlowSubmitted,
  Health,
  JobTree,
  JobLogLine,
  JobLogs,
  JobPage,
  JobsAt,
  JobView,
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
  WorkerInfo,
} from "../contract/index.ts";
import type { JobStatus as JobStatusSchema, JobView } from "../contract/index.ts";

export type JobStatus = typeof JobStatusSchema.Type;

/** A point in time for the audit routes: a Date, epoch ms, or an ISO 8601 string. */
export type Instant = Date | number | string;

/** `list`'s filter: the query of `GET /v1/jobs` without time travel, with a numeric limit. */
export interface ListFilter {
  readonly status?: JobStatus;
  readonly type?: string;
  readonly queue?: string;
  /** 1..500 (default 50). */
  readonly limit?: number;
  readonly cursor?: string;
  /** Created in [createdFrom, createdTo): a Date, epoch ms or an ISO 8601 time. */
  readonly createdFrom?: Date | number | string;
  readonly createdTo?: Date | number | string;
  /** Ended (completed, dead-lettered, cancelled) in [endedFrom, endedTo). */
  readonly endedFrom?: Date | number | string;
  readonly endedTo?: Date | number | string;
  /** The latest attempt's error code. */
  readonly errorCode?: string;
  /** Text the latest attempt's error message contains (literally; ASCII case-insensitive). */
  readonly errorText?: string;
  /** A top-level member of the job's meta (a plain name)... */
  readonly metaKey?: string;
  /** ...equal to this string, or whose JSON text this is (`42`, `true`). */
  readonly metaValue?: string;
}

export interface WaitOptions {
  /** Give up after this long (default: wait forever). */
  readonly timeoutMs?: number;
  /** Called whenever the job's version changes (progress, attempts, ...). */
  readonly onUpdate?: (job: JobView) => void;
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
