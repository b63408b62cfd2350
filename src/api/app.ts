/**
 * Builds the HTTP API as a fastify instance without listening (tests use `inject`; the CLI's
 * `docket api` and `docket start` listen). Every error goes through one table (errors.ts), so a
 * client always gets `{ "error": { "code", "message" } }`.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { registerBearerAuth } from "./auth.ts";
import type { ApiDeps, ApiOptions } from "./deps.ts";
import { ApiError, errorResponse } from "./errors.ts";
import { registerJsonBody } from "./json-body.ts";
import { limitsOf } from "./limits.ts";
import { registerAuditRoutes } from "./routes/audit.ts";
import { registerEventStream } from "./routes/event-stream.ts";
import { registerJobRoutes } from "./routes/jobs.ts";
import { registerOperationRoutes } from "./routes/operations.ts";
import { registerProjectionRoutes } from "./routes/projections.ts";

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export const buildApp = (deps: ApiDeps, options: ApiOptions = {}): FastifyInstance => {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit,
    // Route params longer than this are refused (414) before any handler runs.
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    // Errors raised before routing (bad URL, over-long params) skip setErrorHandler: same table.
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = errorResponse(error);
      // The framework-error hook types its reply loosely; this is the same JSON error body.
      void (reply as unknown as { code(s: number): { send(b: unknown): void } }).code(status).send(body);
    },
  });
  registerJsonBody(app);
  registerBearerAuth(app, options.token);

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorResponse(error);
    if (error instanceof ApiError) void reply.headers(error.headers);
    if (status >= 500 && status !== 503) request.log.error({ err: error }, "internal error");
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = errorResponse(
      new ApiError(404, "route_not_found", `no route ${request.method} ${request.url.split("?")[0]}`),
    );
    void reply.code(status).send(body);
  });

  const limits = limitsOf(options.limits);
  registerJobRoutes(app, deps, bodyLimit, limits);
  registerAuditRoutes(app, deps);
  const streams = registerEventStream(app, deps, limits);
  registerOperationRoutes(app, deps, streams);
  registerProjectionRoutes(app, deps);
  return app;
};
