/** Operator routes: metrics (JSON and Prometheus), workers, health, the OpenAPI document. */
import type { FastifyInstance } from "fastify";
import type { ApiDeps } from "../deps.ts";
import { collectMetrics, toPrometheus } from "../metrics.ts";
import { openApiDocument } from "../openapi.ts";

export const registerOperationRoutes = (app: FastifyInstance, deps: ApiDeps): void => {
  app.get("/v1/metrics", async () => collectMetrics(deps));

  app.get("/metrics", async (_request, reply) =>
    reply.type("text/plain; version=0.0.4; charset=utf-8").send(toPrometheus(await collectMetrics(deps))),
  );

  app.get("/v1/workers", async () => ({ workers: await deps.workers.list(deps.clock.now()) }));

  /** Public (no auth): load balancers and orchestrators probe it. 503 when Redis is unreachable. */
  app.get("/health", { config: { public: true } }, async (_request, reply) => {
    const projection = await deps.projection.lag();
    let latencyMs: number;
    try {
      latencyMs = await deps.ping();
    } catch (error) {
      return reply.code(503).send({
        status: "unavailable",
        error: { code: "queue_unreachable", message: `Redis is unreachable: ${(error as Error).message}` },
        projection,
      });
    }
    const [queues, workers] = await Promise.all([
      collectMetrics(deps).then((m) => m.queues),
      deps.workers.list(deps.clock.now()),
    ]);
    return {
      status: "ok",
      redis: { latencyMs },
      queueDepth: queues.reduce((sum, q) => sum + q.waiting, 0),
      pending: queues.reduce((sum, q) => sum + q.pending, 0),
      workers: workers.length,
      projection,
    };
  });

  app.post("/v1/projections/rebuild", async () => deps.projection.rebuild());
  app.post("/v1/projections/check", async () => deps.projection.check());

  const openApi = openApiDocument();
  app.get("/openapi.json", { config: { public: true } }, async () => openApi);
};
