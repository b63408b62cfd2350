/**
 * Audit routes (docs/audit.md): replay, time travel, verify and export, answered from the event
 * store itself through the engine's audit tools (never from the projection). Reports are 200
 * even when they find a broken history: `ok: false` and the first bad event are the answer.
 */
import { Readable } from "node:stream";
import * as Result from "effect/Result";
import type { FastifyInstance } from "fastify";
import type { JobStatus } from "../../domain/index.ts";
import { describeProjectionDifferences, headerJobCount, parseInstant } from "../../engine/audit/index.ts";
import { JobNotFound } from "../../engine/shared/index.ts";
import type { JobView } from "../../engine/read/index.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import type { ApiLimits } from "../limits.ts";
import { ExportQuery, JobIdParams, type JobsAt, StateAtQuery, VerifyRequest } from "../../contract/index.ts";
import { decodeOrThrow } from "../decode.ts";
import { sendTier } from "./tier.ts";

/** A time from the query string as epoch ms, or a 400 naming the field. */
export const instantOrThrow = (text: string, field: string): number => {
  const parsed = parseInstant(text);
  if (Result.isFailure(parsed))
    throw new ApiError(400, "invalid_request", `${field}: ${parsed.failure}`, { field });
  return parsed.success;
};

const found = <A>(jobId: string, value: A | null): A => {
  if (value === null) throw new JobNotFound({ jobId });
  return value;
};

/** Jobs read concurrently when building the views of a jobs-at-time answer. */
const VIEW_CONCURRENCY = 16;

/**
 * What bounds the cost of `GET /v1/jobs?status=&at=` (ADR 0019): the entries one request may
 * scan, and how many such scans may run at once in this process (one per app).
 */
export class TimeTravelBounds {
  private running = 0;

  constructor(private readonly limits: Pick<ApiLimits, "timeTravelMaxEntries" | "timeTravelConcurrency">) {}

  get maxEntries(): number {
    return this.limits.timeTravelMaxEntries;
  }

  /** Run `scan` if a turn is free, else refuse at once with 429 `time_travel_busy`. */
  async exclusive<A>(scan: () => Promise<A>): Promise<A> {
    if (this.running >= this.limits.timeTravelConcurrency)
      throw new ApiError(
        429,
        "time_travel_busy",
        `${this.running} time-travel scans of the whole log are running, the most this API runs at once; try again shortly`,
        { limit: this.limits.timeTravelConcurrency },
        { "retry-after": "1" },
      );
    this.running += 1;
    try {
      return await scan();
    } finally {
      this.running -= 1;
    }
  }
}

/**
 * `GET /v1/jobs?status=…&at=…` (jobs.ts delegates here when `at` is present): which jobs were in
 * `status` at that time, from one scan of the shard logs, then each listed job's view as of then.
 * Bounded by `bounds`: a log longer than it may scan is a 422 `scan_limit_exceeded`, a scan
 * beyond the concurrent ones allowed a 429 `time_travel_busy` (with Retry-After).
 */
export const jobsAt = async (
  deps: ApiDeps,
  status: JobStatus,
  atMs: number,
  limit: number,
  bounds: TimeTravelBounds,
): Promise<JobsAt> =>
  bounds.exclusive(async () => {
    const answer = await deps.audit.jobsInStatusAt(status, atMs, { maxEntries: bounds.maxEntries });
    const ids = answer.jobIds.slice(0, limit);
    const jobs: Array<JobView> = [];
    for (let i = 0; i < ids.length; i += VIEW_CONCURRENCY) {
      const states = await Promise.all(
        ids.slice(i, i + VIEW_CONCURRENCY).map((id) => deps.audit.stateAt(id, atMs)),
      );
      for (const state of states) if (state?.view) jobs.push(state.view);
    }
    return {
      status,
      asOf: answer.asOf,
      jobs,
      total: answer.jobIds.length,
      scanned: answer.scanned,
      unreadable: answer.unreadable,
    };
  });

export const registerAuditRoutes = (app: FastifyInstance, deps: ApiDeps): void => {
  const { audit } = deps;

  app.get("/v1/jobs/:id/replay", async (request, reply) => {
    const { id } = decodeOrThrow(JobIdParams, request.params, "params");
    const report = found(id, await audit.replay(id));
    await sendTier(reply, deps.jobs, id);
    return report;
  });

  app.get("/v1/jobs/:id/explain", async (request, reply) => {
    const { id } = decodeOrThrow(JobIdParams, request.params, "params");
    const explanation = found(id, await audit.explain(id));
    await sendTier(reply, deps.jobs, id);
    return explanation;
  });

  app.get("/v1/jobs/:id/state", async (request, reply) => {
    const { id } = decodeOrThrow(JobIdParams, request.params, "params");
    const query = decodeOrThrow(StateAtQuery, request.query, "query");
    const state = found(id, await audit.stateAt(id, instantOrThrow(query.at, "query.at")));
    await sendTier(reply, deps.jobs, id);
    return state;
  });

  app.post("/v1/audit/verify", async (request) => {
    const body = decodeOrThrow(VerifyRequest, request.body ?? {}, "body");
    return audit.verify({
      ...(body.jobId === undefined ? {} : { jobId: body.jobId }),
      ...(body.drained === undefined ? {} : { drained: body.drained }),
      // Compared only when verifying the whole log (verify lists it as skipped for one job).
      projection: async () => describeProjectionDifferences((await deps.projection.check()).differences),
    });
  });

  app.get("/v1/audit/export", async (request, reply) => {
    const query = decodeOrThrow(ExportQuery, request.query, "query");
    const lines = audit.exportBundle({
      ...(query.jobId === undefined ? {} : { jobId: query.jobId }),
      ...(query.since === undefined ? {} : { sinceMs: instantOrThrow(query.since, "query.since") }),
      generatedAtMs: deps.clock.now(),
    });
    // The header comes first and names the jobs: an unknown job is a 404, not an empty bundle.
    const header = await lines.next();
    if (query.jobId !== undefined && headerJobCount(header.value) === 0)
      throw new JobNotFound({ jobId: query.jobId });
    async function* all() {
      if (!header.done) yield header.value;
      yield* lines;
    }
    return reply.type("application/x-ndjson; charset=utf-8").send(Readable.from(all()));
  });
};
