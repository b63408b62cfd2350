/**
 * Builds the HTTP API as a fastify instance without listening (tests use `inject`; the CLI's
 * `docket api` and `docket start` listen). Every error goes through one table (errors.ts), so a
 * client always gets `{ "error": { "code", "message" } }`. Every route needs a bearer token
 * when tokens are configured, unless it is marked public (auth.ts, ADR 0017).
 */
import Fastify, { type FastifyInstance } from "fastify";
import { answerClientError } from "./client-errors.ts";
import { BearerTokens, CHALLENGE, registerAuth, unauthorized } from "./auth.ts";
import type { ApiDeps, ApiOptions } from "./deps.ts";
import { DOCS_PREFIX, registerDocs } from "./docs.ts";
import { ApiError, errorResponse } from "./errors.ts";
import { registerJsonBody } from "./json-body.ts";
import { registerJsonWrites } from "./json-writes.ts";
import { limitsOf } from "./limits.ts";
import { registerAuditRoutes } from "./routes/audit.ts";
import { registerEventStream } from "./routes/event-stream.ts";
import { registerHookRoutes } from "./routes/hooks.ts";
import { registerWebhookRoutes } from "./routes/webhooks.ts";
import { registerJobRoutes } from "./routes/jobs.ts";
import { registerOperationRoutes } from "./routes/operations.ts";
import { registerProjectionRoutes } from "./routes/projections.ts";
import { registerQueryCheck } from "./query-check.ts";
import { registerScheduleRoutes } from "./routes/schedules.ts";
import { registerRequestIds, RequestLines, requestIdOf } from "./request-log.ts";
import { registerUi, UI_PREFIX } from "./ui.ts";

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export const buildApp = (deps: ApiDeps, options: ApiOptions = {}): FastifyInstance => {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const tokens = new BearerTokens(options.tokens ?? []);
  const app = Fastify({
    ...(typeof options.logger === "object"
      ? { loggerInstance: options.logger }
      : { logger: options.logger ?? false }),
    // One line per request, with its id (request-log.ts), instead of fastify's two.
    logController: new RequestLines(),
    genReqId: requestIdOf,
    bodyLimit,
    // Route params longer than this are refused (414) before any handler runs.
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    // What Node's HTTP parser refuses never reaches fastify: same error shape (client-errors.ts).
    clientErrorHandler: answerClientError,
    // Errors raised before routing (bad URL, over-long params) skip the hooks and
    // setErrorHandler: same table, and without a token the answer is 401 like everywhere else.
    frameworkErrors: (error, request, reply) => {
      const denied = tokens.required && tokens.principalOf(request.headers.authorization) === undefined;
      if (denied) void reply.header("www-authenticate", CHALLENGE);
      const { status, body } = errorResponse(denied ? unauthorized() : error);
      if (status >= 500) request.log.error({ err: error }, `${status} answered: ${error.message}`);
      // The framework-error hook types its reply loosely; this is the same JSON error body.
      void (reply as unknown as { code(s: number): { send(b: unknown): void } }).code(status).send(body);
    },
  });
  registerRequestIds(app);
  registerJsonBody(app);
  // Before any route (so each is listed and guarded); auth's hook runs before the media type's.
  registerAuth(app, tokens, [DOCS_PREFIX, UI_PREFIX]);
  registerJsonWrites(app);
  registerQueryCheck(app);

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorResponse(error);
    if (error instanceof ApiError) void reply.headers(error.headers);
    // Every 5xx with its error: an answer the client cannot fix is the operator's to see. A 503
    // (Redis away) is expected while it lasts: a warning.
    if (status >= 500)
      request.log[status === 503 ? "warn" : "error"](
        { err: error },
        `${status} answered: ${error instanceof Error ? error.message : String(error)}`,
      );
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
  registerScheduleRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  registerHookRoutes(app, deps, options.hookSecrets ?? new Map());
  registerDocs(app);
  registerUi(app, tokens.required, options.uiDir);
  return app;
};
