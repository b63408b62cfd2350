/**
 * Docket's spans, through `@opentelemetry/api` alone (ADR 0031): the API that libraries call, a
 * no-op until the application registers an SDK (a TracerProvider, and a context manager so that
 * spans nest across `await`). Docket registers none: whoever runs it chooses the SDK and the
 * exporter. Three kinds of span, all under the tracer named `docket`:
 *
 * - `docket.submit` (producer): a submit or bulk submit; its context is recorded in the job's
 *   JobSubmitted event as a W3C `traceparent`, the job's link to the submitter's trace;
 * - `docket.attempt` (consumer): one attempt of a job, child of that recorded context, so an
 *   attempt joins the submitter's trace in whichever process runs it; the handler runs in it;
 * - `docket.append` (client): one job's compare-and-append (src/infra/telemetry/tracing-store.ts),
 *   child of the span active where it is made, else of the job's recorded context.
 *
 * The traceparent is parsed and written here, not by a propagator: `@opentelemetry/api` carries
 * none, and the format is the domain's (trace-context.ts), checked the same way on every read.
 */
import {
  type Context,
  context,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  ProxyTracerProvider,
  type Tracer,
  trace,
  TraceFlags,
} from "@opentelemetry/api";
import { isTraceparent } from "../../domain/index.ts";

export { type Context, type Span, SpanKind, SpanStatusCode, type Tracer };

/**
 * Docket's tracer when a tracing SDK is registered, else undefined, and then no span is started
 * at all: even a no-op span costs a few µs (starting it, its attributes, its parent context),
 * which on a worker's path of two appends and one attempt per job was 5 to 10 µs per job,
 * measured (ADR 0031). Looked up on each use: an SDK may be registered after Docket starts.
 */
export const tracer = (): Tracer | undefined => {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider
    ? provider.getDelegateTracer("docket")
    : provider.getTracer("docket");
};

/** The span context a traceparent names (remote), or undefined when it is not one the domain records. */
export const spanContextOf = (traceparent: string | null | undefined): SpanContext | undefined => {
  if (!isTraceparent(traceparent)) return undefined;
  return {
    traceId: traceparent.slice(3, 35),
    spanId: traceparent.slice(36, 52),
    traceFlags: Number.parseInt(traceparent.slice(53, 55), 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
};

/** The W3C traceparent of a span, or undefined when its context is not a valid one (no trace). */
export const traceparentOf = (span: Span): string | undefined => {
  const { traceId, spanId, traceFlags } = span.spanContext();
  const written = `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, "0")}`;
  return isTraceparent(written) ? written : undefined;
};

/**
 * The context a span should start in: the active one when a span is active there (the caller's
 * own trace, an HTTP server's span), else the active one with `traceparent`'s span as remote
 * parent (a job's recorded context, a request's header), else the active one.
 */
export const parentContext = (traceparent: string | null | undefined): Context => {
  const active = context.active();
  const current = trace.getSpanContext(active);
  if (current !== undefined && trace.isSpanContextValid(current)) return active;
  const remote = spanContextOf(traceparent);
  return remote === undefined ? active : trace.setSpanContext(active, remote);
};

/** Run `work` with `span` active (in `parent`, the context it was started in). */
export const runInSpan = <A>(parent: Context, span: Span, work: () => A): A =>
  context.with(trace.setSpan(parent, span), work);

/** End a span as failed with this error. */
export const endWithError = (span: Span, error: unknown): void => {
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
  if (error instanceof Error) span.recordException(error);
  span.end();
};
