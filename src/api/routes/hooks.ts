/**
 * Inbound webhooks (ADR 0038, seed 004: GitHub → a queue): `POST /v1/hooks/:source`.
 *
 * The route is on the auth allow-list on purpose: the sender proves itself with a signature,
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`, not with a bearer token. The
 * signature is checked over the body's bytes exactly as received (this scope's content parser
 * keeps them as a Buffer; parsing and re-serialising would change them), in constant time,
 * before anything is parsed or recorded. A source with no secret configured does not exist (404):
 * the route is closed unless the operator opened it.
 *
 * A verified delivery becomes one job: type `<source>.<X-GitHub-Event>`, payload the body,
 * idempotency key `<source>:<X-GitHub-Delivery>`, so a redelivered webhook is the same job.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { verifyGithubSignature } from "../../domain/index.ts";
import type { HookAccepted } from "../../contract/index.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { parseJsonText } from "../json-body.ts";

/** The one header value a request carries, or a 400 naming the header. */
const singleHeader = (request: FastifyRequest, name: string): string => {
  const value = request.headers[name];
  if (typeof value !== "string" || value.length === 0 || value.length > 200)
    throw new ApiError(
      400,
      "invalid_request",
      `headers.${name}: required, one value of 1 to 200 characters`,
      {
        field: `headers.${name}`,
      },
    );
  return value;
};

const invalidSignature = (): ApiError =>
  new ApiError(
    401,
    "invalid_signature",
    "missing or wrong X-Hub-Signature-256 (sha256=<hex HMAC-SHA256 of the raw body with the source's secret>)",
  );

export const registerHookRoutes = (
  app: FastifyInstance,
  deps: ApiDeps,
  secrets: ReadonlyMap<string, string>,
): void => {
  // An encapsulated scope: its content parser (raw bytes) applies to this route only.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) => {
      done(null, body);
    });
    scope.post<{ Params: { source: string } }>(
      "/v1/hooks/:source",
      { config: { public: true } },
      async (request, reply) => {
        const { source } = request.params;
        const secret = secrets.get(source);
        if (secret === undefined)
          throw new ApiError(404, "hook_source_not_found", "no hook source by that name is configured");
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        if (!verifyGithubSignature(secret, request.headers["x-hub-signature-256"] as string | undefined, raw))
          throw invalidSignature();
        const event = singleHeader(request, "x-github-event");
        const delivery = singleHeader(request, "x-github-delivery");
        const payload = parseJsonText(raw.toString("utf8"));
        if (payload === undefined)
          throw new ApiError(400, "invalid_request", "body: expected the event's JSON", { field: "body" });
        const type = `${source}.${event}`;
        const submitted = await deps.jobs.submit(
          { type, payload, idempotencyKey: `${source}:${delivery}` },
          { kind: "client", id: `hook:${source}` },
        );
        if (!submitted.created) void reply.header("idempotent-replayed", "true");
        return reply
          .code(202)
          .send({ jobId: submitted.jobId, type, created: submitted.created } satisfies HookAccepted);
      },
    );
  });
};
