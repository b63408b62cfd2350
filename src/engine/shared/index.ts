/**
 * The face of what every room of the engine shares (ADR 0021): the typed errors callers handle
 * by `_tag`, the clock, turning a schema failure into a field and a message, cooperative yielding
 * for long work, and starting a thread on one of Docket's modules. Nothing here belongs to one
 * room, and nothing here imports a room.
 */
export { type Clock, systemClock } from "./clock.ts";
export {
  CommandRefused,
  ContentionExhausted,
  DependencyRefused,
  type EngineError,
  InvalidJobSpec,
  JobNotFound,
  QueueUnavailable,
} from "./errors.ts";
export { firstIssue } from "./schema-errors.ts";
export { siblingModule, startModuleThread, type ThreadLoadFailed } from "./module-thread.ts";
export { TimeSlice, yieldToEventLoop } from "./time-slice.ts";
export {
  type Context,
  endWithError,
  parentContext,
  runInSpan,
  type Span,
  SpanKind,
  SpanStatusCode,
  spanContextOf,
  traceparentOf,
  type Tracer,
  tracer,
} from "./tracing.ts";
