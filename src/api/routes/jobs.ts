/**
 * Job routes: submit (single and bulk), read one (fresh from its own history), list (from the
 * projection), events (exactly as hashed), cancel, retry, dead letters.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  isTraceparent,
  MAX_FLOW_DEPTH,
  MAX_FLOW_JOBS,
  MAX_TIMESTAMP_MS,
  parseDuration,
} from "../../domain/index.ts";
import { jobLogOf, type JobView } from "../../engine/read/index.ts";
import { actorOf } from "../caller.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError, errorResponse } from "../errors.ts";
import type { ApiLimits } from "../limits.ts";
import { instantOrThrow, jobsAt, TimeTravelBounds } from "./audit.ts";
import { sendTier } from "./tier.ts";
import {
  type BulkItem,
  BulkSubmitRequest,
  type BulkSubmitted,
  CancelRequest,
  SignalRequest,
  type DeadLetters,
  type FlowSubmitted,
  type JobTree,
  type JobView as ContractJobView,
  DeadLettersQuery,
  JobIdParams,
  type JobEvents,
  type JobLogs,
  ListJobsQuery,
  type Purged,
  PurgeRequest,
  type RetriedDeadLetters,
  RetryRequest,
} from "../../contract/index.ts";
import { decodeOrThrow } from "../decode.ts";

const DEFAULT_PAGE = 50;

/**
 * A job's own webhook pointing where the deployment refuses to deliver (ADR 0038) is refused at
 * submit, as a subscription is; the sender checks the resolved address again at delivery.
 */
const checkJobWebhook = (deps: ApiDeps, spec: unknown, field: string): void => {
  const url = isObject(spec) && isObject(spec.webhook) ? spec.webhook.url : undefined;
  // Not an http(s) URL at all: the spec's own check refuses it (400 invalid_job_spec).
  if (typeof url !== "string" || !/^https?:\/\/\S+$/i.test(url)) return;
  const problem = deps.webhooks.urlProblem(url);
  if (problem !== null) throw new ApiError(422, "webhook_url_not_allowed", `${field}: ${problem}`, { field });
};

/**
 * Each job of a flow has its webhook checked as a single submit's is: the first MAX_FLOW_JOBS
 * jobs, MAX_FLOW_DEPTH levels deep (a larger flow is refused by its own bounds anyway).
 */
const checkFlowWebhooks = (deps: ApiDeps, body: Record<string, unknown>): void => {
  const queue: Array<{ node: Record<string, unknown>; path: string; depth: number }> = [
    { node: body, path: "body", depth: 0 },
  ];
  for (let seen = 0; seen < queue.length && seen < MAX_FLOW_JOBS; seen++) {
    const { node, path, depth } = queue[seen] as (typeof queue)[number];
    checkJobWebhook(deps, node.job, `${path}.job.webhook.url`);
    if (!Array.isArray(node.children) || depth >= MAX_FLOW_DEPTH) continue;
    node.children.slice(0, MAX_FLOW_JOBS).forEach((child: unknown, i) => {
      if (isObject(child)) queue.push({ node: child, path: `${path}.children.${i}`, depth: depth + 1 });
    });
  }
};

const idempotencyKeyOf = (request: FastifyRequest): string | undefined => {
  const header = request.headers["idempotency-key"];
  if (header === undefined) return undefined;
  if (typeof header !== "string" || header.length < 1 || header.length > 256)
    throw new ApiError(400, "invalid_request", "Idempotency-Key must be 1 to 256 characters", {
      field: "headers.idempotency-key",
    });
  return header;
};

/**
 * The caller's W3C `traceparent` header, which the submit's span continues and its jobs record
 * (ADR 0031). One that is not valid (or repeated) is ignored, as the recommendation asks: a new
 * trace begins, and the submit is not refused for a header a proxy may have added.
 */
const traceparentOf = (request: FastifyRequest): { readonly traceparent?: string } => {
  const header = request.headers.traceparent;
  return typeof header === "string" && isTraceparent(header) ? { traceparent: header } : {};
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The earliest instant a stored timestamp can hold (0000-01-01T00:00:00.000Z). */
const MIN_TIMESTAMP_MS = -62_167_219_200_000;

/**
 * A list's time bounds as stored timestamps (ISO, which compare as text in time order): an
 * instant beyond years 0000-9999 is clamped to their edge, which selects the same jobs.
 */
const timeRange = (
  query: Partial<Record<"createdFrom" | "createdTo" | "endedFrom" | "endedTo", string>>,
): Partial<Record<"createdFrom" | "createdTo" | "endedFrom" | "endedTo", string>> => {
  const bounds: Partial<Record<"createdFrom" | "createdTo" | "endedFrom" | "endedTo", string>> = {};
  for (const field of ["createdFrom", "createdTo", "endedFrom", "endedTo"] as const) {
    const text = query[field];
    if (text === undefined) continue;
    const ms = instantOrThrow(text, `query.${field}`);
    bounds[field] = new Date(Math.min(MAX_TIMESTAMP_MS, Math.max(MIN_TIMESTAMP_MS, ms))).toISOString();
  }
  return bounds;
};

export const registerJobRoutes = (
  app: FastifyInstance,
  deps: ApiDeps,
  bodyLimit: number,
  limits: ApiLimits,
): void => {
  const { jobs, reads } = deps;
  const timeTravel = new TimeTravelBounds(limits);

  app.post("/v1/jobs", async (request, reply) => {
    const key = idempotencyKeyOf(request);
    if (!isObject(request.body))
      throw new ApiError(400, "invalid_request", "body: expected a JSON object (the job spec)", {
        field: "body",
      });
    let spec: Record<string, unknown> = request.body;
    if (key !== undefined) {
      if (spec.idempotencyKey !== undefined && spec.idempotencyKey !== key)
        throw new ApiError(
          400,
          "idempotency_key_mismatch",
          "the Idempotency-Key header and body.idempotencyKey differ",
        );
      spec = { ...spec, idempotencyKey: key };
    }
    checkJobWebhook(deps, spec, "body.webhook.url");
    const submitted = await jobs.submit(spec, actorOf(request), traceparentOf(request));
    const view: JobView = await jobs.view(submitted.jobId);
    if (!submitted.created) reply.header("idempotent-replayed", "true");
    return reply.code(202).send(view);
  });

  app.post("/v1/flows", { bodyLimit: bodyLimit * 16 }, async (request, reply) => {
    if (!isObject(request.body))
      throw new ApiError(400, "invalid_request", "body: expected a JSON object (the flow)", {
        field: "body",
      });
    checkFlowWebhooks(deps, request.body);
    const submitted = await jobs.submitFlow(request.body, actorOf(request), traceparentOf(request));
    const tree = await jobs.tree(submitted.jobId);
    if (!submitted.created) reply.header("idempotent-replayed", "true");
    return reply.code(202).send({ created: submitted.created, tree } satisfies FlowSubmitted);
  });

  app.get("/v1/jobs/:id/tree", async (request, reply) => {
    const { id } = decodeOrThrow(JobIdParams, request.params, "params");
    const tree = await jobs.tree(id);
    await sendTier(reply, jobs, id);
    return tree satisfies JobTree;
  });

  app.post("/v1/jobs/bulk", { bodyLimit: bodyLimit * 16 }, async (request, reply) => {
    const { jobs: specs } = decodeOrThrow(BulkSubmitRequest, request.body, "body");
    specs.forEach((spec, index) => checkJobWebhook(deps, spec, `body.jobs.${index}.webhook.url`));
    const results = await jobs.submitMany(specs, actorOf(request), traceparentOf(request));
    const items = await Promise.all(
      results.map(async (result, index): Promise<BulkItem> => {
        if (!("created" in result)) return { index, error: errorResponse(result).body.error };
        // An idempotent repeat carries no head: read the existing job's status, from the archive
        // when the job has left Redis (its key outlives it, ADR 0034).
        const status = result.head === null ? await jobs.status(result.jobId) : result.head.state.value;
        return { index, id: result.jobId, status, created: result.created };
      }),
    );
    return reply.code(202).send({ jobs: items } satisfies BulkSubmitted);
  });

  app.get("/v1/jobs", async (request) => {
    const query = decodeOrThrow(ListJobsQuery, request.query, "query");
    const limit = query.limit === undefined ? DEFAULT_PAGE : Number(query.limit);
    if (query.at !== undefined) {
      // Time travel answers from the log: status is required, the projection's filters do not apply.
      const atMs = instantOrThrow(query.at, "query.at");
      if (query.status === undefined)
        throw new ApiError(400, "invalid_request", "query.status: required with query.at", {
          field: "query.status",
        });
      for (const field of [
        "type",
        "queue",
        "cursor",
        "createdFrom",
        "createdTo",
        "endedFrom",
        "endedTo",
        "errorCode",
        "errorText",
        "metaKey",
        "metaValue",
      ] as const)
        if (query[field] !== undefined)
          throw new ApiError(400, "invalid_request", `query.${field}: not supported with query.at`, {
            field: `query.${field}`,
          });
      return jobsAt(deps, query.status, atMs, limit, timeTravel);
    }
    if (query.metaValue !== undefined && query.metaKey === undefined)
      throw new ApiError(400, "invalid_request", "query.metaValue: needs query.metaKey", {
        field: "query.metaValue",
      });
    return reads.listJobs({
      limit,
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.type === undefined ? {} : { type: query.type }),
      ...(query.queue === undefined ? {} : { queue: query.queue }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      ...timeRange(query),
      ...(query.errorCode === undefined ? {} : { errorCode: query.errorCode }),
      ...(query.errorText === undefined ? {} : { errorText: query.errorText }),
      ...(query.metaKey === undefined ? {} : { metaKey: query.metaKey }),
      ...(query.metaValue === undefined ? {} : { metaValue: query.metaValue }),
    });
  });

  const tier = (reply: FastifyReply, id: string, evicted: boolean): Promise<void> =>
    sendTier(reply, jobs, id, evicted);

  app.get("/v1/jobs/:id", async (request, reply) => {
    const { id } = decodeOrThrow(JobIdParams, request.params, "params");
    const view = await jobs.view(id);
    await tier(reply, id, view.evictedAt !== null);
    // The jobs that depend on it (ADR 0042), from Redis, for a job still there; left out when
    // there are none, so the view is the same as every other route answers.
    const dependents = view.evictedAt === null ? await jobs.dependents(id) : [];
    return (dependents.length === 0 ? view : { ...view, dependents }) satisfies ContractJobView;
  });

  app.get("/v1/jobs/:id/events", async (request, reply) => {
    const { id } = decodeOrThrow(JobIdParams, request.params, "params");
    const events = await jobs.events(id);
    await tier(reply, id, events[events.length - 1]?.type === "JobEvicted");
    return { events } satisfies JobEvents;
  });

  app.get("/v1/jobs/:id/logs", async (request, reply) => {
    const { id } = decodeOrThrow(JobIdParams, request.params, "params");
    const events = await jobs.events(id);
    await tier(reply, id, events[events.length - 1]?.type === "JobEvicted");
    return { lines: jobLogOf(events) } satisfies JobLogs;
  });

  app.post("/v1/jobs/:id/cancel", async (request) => {
    const { id } = decodeOrThrow(JobIdParams, request.params, "params");
    const body = decodeOrThrow(CancelRequest, request.body ?? {}, "body");
    await jobs.cancel(id, actorOf(request), body.reason);
    return jobs.view(id);
  });

  app.post("/v1/jobs/:id/signal", async (request) => {
    const { id } = decodeOrThrow(JobIdParams, request.params, "params");
    const body = decodeOrThrow(SignalRequest, request.body ?? {}, "body");
    await jobs.signal(id, actorOf(request), body.name, body.payload);
    return jobs.view(id);
  });

  app.post("/v1/jobs/:id/retry", async (request) => {
    const { id } = decodeOrThrow(JobIdParams, request.params, "params");
    const body = decodeOrThrow(RetryRequest, request.body ?? {}, "body");
    await jobs.retry(id, actorOf(request), body.reason ?? "manual retry", body.attempts);
    return jobs.view(id);
  });

  app.get("/v1/dead-letters", async (request) => {
    const query = decodeOrThrow(DeadLettersQuery, request.query, "query");
    return {
      jobs: await jobs.deadLetterViews(query.limit === undefined ? DEFAULT_PAGE : Number(query.limit)),
    } satisfies DeadLetters;
  });

  app.post("/v1/jobs/purge", async (request) => {
    const body = decodeOrThrow(PurgeRequest, request.body ?? {}, "body");
    const purged = await deps.purge({
      status: body.status,
      olderThanMs: parseDuration(body.olderThan) as number,
      actor: actorOf(request),
      limit: body.limit ?? 10_000,
    });
    return { purged } satisfies Purged;
  });

  app.post("/v1/dead-letters/retry", async (request) => {
    const body = decodeOrThrow(CancelRequest, request.body ?? {}, "body");
    const retried = await jobs.retryAllDeadLetters(
      actorOf(request),
      body.reason ?? "manual retry of all dead letters",
    );
    return { retried } satisfies RetriedDeadLetters;
  });
};
