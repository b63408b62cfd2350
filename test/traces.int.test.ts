/**
 * Traces (ADR 0031) with a real OpenTelemetry SDK registered in this test process (the
 * in-memory exporter, AsyncLocalStorage context), a real API (`inject`), a real worker and a
 * real Redis: a submit carrying a W3C `traceparent` header is a `docket.submit` span continuing
 * that trace; the job records the submit span's context in its JobSubmitted event; the worker's
 * `docket.attempt` span is its child, in the same trace, and the handler's own spans and the
 * attempt's appends nest under it; every append of the job is a `docket.append` span in that
 * trace. Without a header a submit starts a trace of its own; a hostile header is ignored.
 */
import { context, type Tracer, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Envelope } from "../src/domain/index.ts";
import type { Handlers, Worker } from "../src/engine/worker/index.ts";
import type { JobView } from "../src/engine/read/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager().enable();
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(contextManager);

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";
const HEADER = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

const handlerTracer: Tracer = trace.getTracer("test-handlers");
const handlers: Handlers = {
  traced: async (_payload, ctx) => {
    // The handler's own work, in its own span: it must nest under the attempt's.
    await handlerTracer.startActiveSpan("handler-work", async (span) => {
      await ctx.progress(1, 2, "half way");
      span.end();
    });
    return { done: true };
  },
  broken: () => {
    throw Object.assign(new Error("no"), { retryable: false, code: "broken_on_purpose" });
  },
};

let redis: TestRedis;
let api: TestApi;
let worker: Worker;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
  worker = (await startWorker(api.engine, handlers, { concurrency: 2 })).worker;
});
afterAll(async () => {
  await worker?.stop(100);
  await api?.stop();
  await redis?.stop();
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

const submit = async (type: string, headers: Record<string, string> = {}) => {
  const response = await api.app.inject({ method: "POST", url: "/v1/jobs", payload: { type }, headers });
  expect(response.statusCode).toBe(202);
  return response.json<JobView>();
};

const ended = async (id: string, status: string) =>
  waitFor(async () => (await api.jobs.view(id)).status === status, `job ${id} ${status}`);

const submittedEvent = async (id: string) =>
  (await api.jobs.events(id)).find((e) => e.type === "JobSubmitted") as Extract<
    Envelope,
    { type: "JobSubmitted" }
  >;

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
const spansOf = (jobId: string, name: string): ReadonlyArray<ReadableSpan> =>
  exporter.getFinishedSpans().filter((s) => s.name === name && s.attributes["docket.job_id"] === jobId);
const one = (spans: ReadonlyArray<ReadableSpan>, what: string): ReadableSpan => {
  expect(spans, what).toHaveLength(1);
  return spans[0] as ReadableSpan;
};

describe("traces", () => {
  it("a submit continues the caller's trace, the job records it, and its attempt joins it with the handler's spans and appends inside", async () => {
    const job = await submit("traced", { traceparent: HEADER });
    await ended(job.id, "completed");
    // Spans end after the outcome is written: wait for the attempt's.
    await waitFor(() => spansOf(job.id, "docket.attempt").length === 1, "the attempt span");

    const submitSpan = one(spansOf(job.id, "docket.submit"), "submit spans");
    expect(submitSpan.spanContext().traceId).toBe(TRACE_ID);
    expect(parentOf(submitSpan)).toBe(CALLER_SPAN);

    const event = await submittedEvent(job.id);
    expect(event.data.traceparent).toBe(`00-${TRACE_ID}-${submitSpan.spanContext().spanId}-01`);

    const attempt = one(spansOf(job.id, "docket.attempt"), "attempt spans");
    expect(attempt.spanContext().traceId).toBe(TRACE_ID);
    expect(parentOf(attempt)).toBe(submitSpan.spanContext().spanId);
    expect(attempt.attributes).toMatchObject({
      "docket.job_type": "traced",
      "docket.attempt": 1,
      "docket.outcome": "succeeded",
    });

    const handlerSpan = exporter.getFinishedSpans().find((s) => s.name === "handler-work");
    expect(handlerSpan?.spanContext().traceId).toBe(TRACE_ID);
    expect(parentOf(handlerSpan as ReadableSpan)).toBe(attempt.spanContext().spanId);

    // Every append of the job is in its trace: the submit's under the submit span, the batched
    // start under the job's recorded context, progress under the handler's span, the outcome
    // under the attempt.
    const appends = spansOf(job.id, "docket.append");
    const byEvent = new Map(
      appends.map((s) => [(s.attributes["docket.events"] as Array<string>).join(","), s]),
    );
    expect([...byEvent.keys()].sort()).toEqual(
      ["AttemptStarted", "JobCompleted", "JobSubmitted", "ProgressReported"].sort(),
    );
    for (const span of appends) expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(parentOf(byEvent.get("JobSubmitted") as ReadableSpan)).toBe(submitSpan.spanContext().spanId);
    expect(parentOf(byEvent.get("AttemptStarted") as ReadableSpan)).toBe(submitSpan.spanContext().spanId);
    // The handler reported progress inside its own span: the append nests under that one.
    expect(parentOf(byEvent.get("ProgressReported") as ReadableSpan)).toBe(handlerSpan?.spanContext().spanId);
    expect(parentOf(byEvent.get("JobCompleted") as ReadableSpan)).toBe(attempt.spanContext().spanId);
    expect(byEvent.get("JobCompleted")?.attributes["docket.append.outcome"]).toBe("Appended");
  });

  it("a failed attempt's span is marked failed with its error code", async () => {
    const job = await submit("broken", { traceparent: HEADER });
    await ended(job.id, "dead_letter");
    await waitFor(() => spansOf(job.id, "docket.attempt").length === 1, "the attempt span");
    const attempt = one(spansOf(job.id, "docket.attempt"), "attempt spans");
    expect(attempt.status).toMatchObject({ code: 2, message: "Error: no" });
    expect(attempt.attributes).toMatchObject({
      "docket.outcome": "failed",
      "docket.error_code": "broken_on_purpose",
    });
    expect(attempt.spanContext().traceId).toBe(TRACE_ID);
  });

  it("without a traceparent a submit starts a trace of its own, which the attempt joins", async () => {
    const job = await submit("traced");
    await ended(job.id, "completed");
    await waitFor(() => spansOf(job.id, "docket.attempt").length === 1, "the attempt span");
    const submitSpan = one(spansOf(job.id, "docket.submit"), "submit spans");
    expect(parentOf(submitSpan)).toBeUndefined();
    const { traceId, spanId } = submitSpan.spanContext();
    expect(traceId).not.toBe(TRACE_ID);
    expect((await submittedEvent(job.id)).data.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(parentOf(one(spansOf(job.id, "docket.attempt"), "attempt"))).toBe(spanId);
  });

  it("ignores a hostile traceparent (the submit is accepted, a new trace begins), never a 4xx or 5xx", async () => {
    const hostile = [
      `00-${"0".repeat(32)}-${CALLER_SPAN}-01`,
      `00-${TRACE_ID}-${"0".repeat(16)}-01`,
      `00-${TRACE_ID.toUpperCase()}-${CALLER_SPAN}-01`,
      `ff-${TRACE_ID}-${CALLER_SPAN}-01`,
      `01-${TRACE_ID}-${CALLER_SPAN}-01-extra`,
      `00-${TRACE_ID}-${CALLER_SPAN}-01-`,
      ` ${HEADER}`,
      `00-${TRACE_ID}-${CALLER_SPAN}-1`,
      `00-${TRACE_ID}${CALLER_SPAN}-01`,
      "x".repeat(8_000),
      "",
    ];
    for (const header of hostile) {
      const job = await submit("nobody-runs-this", { traceparent: header });
      const submitSpan = one(spansOf(job.id, "docket.submit"), header);
      expect(parentOf(submitSpan), header).toBeUndefined();
      expect(submitSpan.spanContext().traceId, header).not.toBe(TRACE_ID);
      const recorded = (await submittedEvent(job.id)).data.traceparent;
      expect(recorded, header).toBe(
        `00-${submitSpan.spanContext().traceId}-${submitSpan.spanContext().spanId}-01`,
      );
    }
  });

  it("a bulk submit is one span, whose context every job of it records", async () => {
    const response = await api.app.inject({
      method: "POST",
      url: "/v1/jobs/bulk",
      payload: { jobs: [{ type: "nobody-runs-this" }, { type: "nobody-runs-this" }] },
      headers: { traceparent: HEADER },
    });
    expect(response.statusCode).toBe(202);
    const ids = response.json<{ jobs: Array<{ id: string }> }>().jobs.map((j) => j.id);
    const spans = exporter.getFinishedSpans().filter((s) => s.name === "docket.submit_many");
    const bulk = one(spans, "bulk spans");
    expect(parentOf(bulk)).toBe(CALLER_SPAN);
    for (const id of ids)
      expect((await submittedEvent(id)).data.traceparent).toBe(
        `00-${TRACE_ID}-${bulk.spanContext().spanId}-01`,
      );
  });
});
