/**
 * An EventStore whose appends are spans (`docket.append`, ADR 0031): one per job's
 * compare-and-append, also inside a pipelined batch (each request of `appendMany` gets its own,
 * lasting the batch's round trip). A span's parent is the span active where the append is made
 * (a submit, an attempt), else the trace the job recorded at submit (its head's traceparent), so
 * a worker's batched starts and the scheduler's promotions land in their jobs' traces too. The
 * store's answer is an attribute: a conflict or a fenced write is an answer, not an error; only
 * a failed call (Redis away) marks the span failed. Wraps any adapter of the port; the
 * composition root puts it around the stores of the processes it opens.
 */
import {
  endWithError,
  parentContext,
  type Span,
  SpanKind,
  type Tracer,
  tracer,
} from "../../engine/shared/index.ts";
import type { AppendOutcome, AppendRequest, EventStore } from "../../engine/write/ports.ts";

const startAppend = (docket: Tracer, request: AppendRequest, batch: number): Span =>
  docket.startSpan(
    "docket.append",
    {
      kind: SpanKind.CLIENT,
      attributes: {
        "docket.job_id": request.jobId,
        "docket.events": request.envelopes.map((envelope) => envelope.type),
        "docket.expected_version": request.expected.version,
        "docket.batch": batch,
        "db.system.name": "redis",
      },
    },
    parentContext(request.next.context.traceparent),
  );

const endAppend = (span: Span, outcome: AppendOutcome | undefined): void => {
  span.setAttribute("docket.append.outcome", outcome?._tag ?? "none");
  span.end();
};

/** Append in spans, one per request (the batch's round trip each). */
const tracedAppends = async (
  docket: Tracer,
  requests: ReadonlyArray<AppendRequest>,
  append: () => Promise<ReadonlyArray<AppendOutcome>>,
): Promise<ReadonlyArray<AppendOutcome>> => {
  const spans = requests.map((request) => startAppend(docket, request, requests.length));
  try {
    const outcomes = await append();
    spans.forEach((span, i) => endAppend(span, outcomes[i]));
    return outcomes;
  } catch (error) {
    for (const span of spans) endWithError(span, error);
    throw error;
  }
};

export const tracingStore = (store: EventStore): EventStore => ({
  loadHead: (jobId) => store.loadHead(jobId),
  loadHeads: (jobIds) => store.loadHeads(jobIds),
  readEvents: (jobId) => store.readEvents(jobId),
  readEventsMany: (jobIds) => store.readEventsMany(jobIds),
  // Without a tracing SDK the store is called as it is, with no span and no promise of ours
  // around it (ADR 0031: even a no-op span costs µs per append).
  append: (request) => {
    const docket = tracer();
    if (docket === undefined) return store.append(request);
    return tracedAppends(docket, [request], async () => [await store.append(request)]).then(
      ([outcome]) => outcome as AppendOutcome,
    );
  },
  appendMany: (requests) => {
    const docket = tracer();
    if (docket === undefined) return store.appendMany(requests);
    return tracedAppends(docket, requests, () => store.appendMany(requests));
  },
});
