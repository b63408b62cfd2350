/**
 * The package's main entry, `docket-engine` (ADR 0032): the in-process API (src/library) with
 * the types and errors it hands out, and the typed HTTP client. `docket-engine/client` is the
 * client alone (fetch only: it loads no Redis, SQLite or engine code).
 */
export * from "./library/index.ts";
export {
  type Handler,
  type HandlerContext,
  type Handlers,
  NonRetryableError,
  StepError,
  type StepOptions,
  type WaitResult,
  type WorkerInfo,
} from "./engine/worker/index.ts";
export type { JobView } from "./engine/read/index.ts";
// What a read of a job that has left Redis fails with when the archive cannot answer (ADR 0034).
export { ArchiveBehind, ArchiveKeyUnusable, ArchiveNeeded } from "./engine/read/index.ts";
export type { ArchiveAccess } from "./main.ts";
export {
  CommandRefused,
  ContentionExhausted,
  type EngineError,
  InvalidJobSpec,
  JobNotFound,
  QueueUnavailable,
} from "./engine/shared/index.ts";
export { RedisAuthRefused } from "./main.ts";
export {
  InvalidSchedule,
  ScheduleExists,
  ScheduleLimitReached,
  ScheduleNotFound,
  ScheduleRefused,
} from "./engine/schedule/index.ts";
export type {
  CreateScheduleRequest,
  ScheduleFiring,
  ScheduleView,
  UpdateScheduleRequest,
} from "./contract/index.ts";
export type { Actor, Envelope, Json } from "./domain/index.ts";
export {
  DEFAULT_WEBHOOK_TOLERANCE_S,
  DocketApiError,
  DocketClient,
  type DocketClientOptions,
  verifyWebhook,
  type WebhookVerification,
} from "./client/index.ts";
