/**
 * The in-process API's face (ADR 0032): `connect()`, the `Docket` it returns, its workers, typed
 * handlers, and the errors and types a caller handles. The package's main entry re-exports it.
 */
export {
  type ConnectOptions,
  connect,
  Docket,
  hasEnded,
  type JobRequest,
  type SubmitOptions,
  type SubmitOutcome,
  type WaitOptions,
  WaitTimeout,
} from "./docket.ts";
export {
  defineHandlers,
  type HandlersFor,
  type JobHandler,
  type JobPayloads,
  type JobType,
  type PayloadsOf,
} from "./handlers.ts";
export type { DocketWorker, WorkerOptions } from "./worker.ts";
// Worker options' rate limits (ADR 0039): the text form as DOCKET_RATE_LIMITS writes it, and the
// error a bad limit or fairness setting is refused with.
export { DeliverySettingError, parseRateLimits, type RateLimit } from "../domain/delivery-policy.ts";
