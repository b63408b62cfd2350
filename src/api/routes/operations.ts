/**
 * Operator routes: metrics (JSON and Prometheus), workers, health, the OpenAPI document.
 *
 * Health is 200 `ok`, 200 `degraded` when the API serves but its projection is halted (`reason`
 * says which shard, which entry and what is wrong; reads are stale until an operator acts), and
 * 503 `unavailable` when Redis is unreachable. A halted projection is not a 503: submits and
 * fresh reads still work, and every replica halts on the same entry, so a 503 would take the
 * whole service out of its load balancer for a stale read model (ADR 0019).
 */
import type { FastifyInstance } from "fastify";
import type { Health, HealthUnavailable, Workers } from "../../contract/index.ts";
import type { ApiDeps, ProjectionLag } from "../deps.ts";
import { errorResponse } from "../errors.ts";
import { collectMetrics, knownQueues, toPrometheus } from "../metrics.ts";
import type { EventStreamFigures } from "./event-stream.ts";
import { openApiDocument } from "../openapi.ts";

/** What halted the projection, as an API error body (code, message, shard, entry) and since when. */
const haltReason = (projection: ProjectionLag): NonNullable<Health["reason"]> | null =>
  projection.halt === null
    ? null
    : { ...errorResponse(projection.halt.error).body.error, since: projection.halt.since };

export const registerOperationRoutes = (
  app: FastifyInstance,
  deps: ApiDeps,
  streams: () => EventStreamFigures,
): void => {
  app.get("/v1/metrics", async () => collectMetrics(deps, streams()));

  app.get("/metrics", async (_request, reply) => {
    const projected = toPrometheus(await collectMetrics(deps, streams()));
    const own = (await deps.processMetrics?.()) ?? "";
    return reply.type("text/plain; version=0.0.4; charset=utf-8").send(projected + own);
  });

  app.get(
    "/v1/workers",
    async () => ({ workers: await deps.workers.list(deps.clock.now()) }) satisfies Workers,
  );

  /** Public (no auth): load balancers and orchestrators probe it. 503 when Redis is unreachable. */
  app.get("/health", { config: { public: true } }, async (_request, reply) => {
    // All at once: while long work runs, each await may wait for a turn of the event loop.
    const [lag, ping, depths, workers] = await Promise.allSettled([
      deps.projection.lag(),
      deps.ping(),
      // Only the queue names come from the projection (one cheap index walk): health must stay
      // fast however many jobs the projection holds.
      deps.queues.depth(knownQueues(deps)),
      deps.workers.list(deps.clock.now()),
    ]);
    if (lag.status === "rejected") throw lag.reason;
    const archive = archiveHealth(deps);
    const reason = haltReason(lag.value) ?? archive?.reason ?? null;
    const { halt: _halt, shards: _shards, ...projection } = lag.value;
    if (ping.status === "rejected")
      return reply.code(503).send({
        status: "unavailable",
        error: {
          code: "queue_unreachable",
          message: `Redis is unreachable: ${(ping.reason as Error).message}`,
        },
        projection,
        ...(reason === null ? {} : { reason }),
        ...(archive === null ? {} : { archive: archive.status }),
      } satisfies HealthUnavailable);
    if (depths.status === "rejected") throw depths.reason;
    if (workers.status === "rejected") throw workers.reason;
    const queues = depths.value;
    return {
      status: reason === null ? "ok" : "degraded",
      ...(reason === null ? {} : { reason }),
      redis: ping.value,
      queueDepth: queues.reduce((sum, q) => sum + q.waiting, 0),
      pending: queues.reduce((sum, q) => sum + q.pending, 0),
      workers: workers.value.length,
      projection,
      ...(archive === null ? {} : { archive: archive.status }),
    } satisfies Health;
  });

  const openApi = openApiDocument();
  app.get("/openapi.json", { config: { public: true } }, async () => openApi);
};

/**
 * The archiver's part of health: its state, progress per shard, and — while the archive refuses
 * writes — a reason that makes health "degraded" (archiving is paused; nothing is lost).
 */
const archiveHealth = (
  deps: ApiDeps,
): { status: NonNullable<Health["archive"]>; reason: NonNullable<Health["reason"]> | null } | null => {
  if (deps.archive === undefined) return null;
  const s = deps.archive();
  return {
    status: {
      state: s.state,
      sealed: s.sealed,
      archivedEntries: s.archivedEntries,
      trimmedEntries: s.trimmedEntries,
      evictionsRecorded: s.evictionsRecorded,
      evicted: s.evicted,
      shards: s.shards.map(({ shard, nextSegment, lastEntryId }) => ({
        shard,
        segments: nextSegment,
        lastEntryId,
      })),
      ...(s.paused === null
        ? {}
        : { paused: { ...s.paused, since: new Date(s.paused.since).toISOString() } }),
      lastError: s.lastError,
    },
    reason:
      s.paused === null
        ? null
        : {
            code: "archive_paused",
            message: `archiving is paused (${s.paused.code}): ${s.paused.message}`,
            since: new Date(s.paused.since).toISOString(),
          },
  };
};
