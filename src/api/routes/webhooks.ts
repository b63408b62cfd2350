/**
 * Outbound webhook routes (ADR 0038): subscriptions (create, list, read, remove; the secret is
 * never shown, except one Docket generated, once) and deliveries (by subscription, by job, by
 * status, one with its attempts; retry a dead one).
 */
import type { FastifyInstance } from "fastify";
import {
  CreateWebhookRequest,
  DeliveriesQuery,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryDetail,
  DeliveryIdParams,
  type DeliveryList,
  EmptyBody,
  JobIdParams,
  type Webhook,
  type WebhookCreated,
  WebhookIdParams,
  type WebhookList,
} from "../../contract/index.ts";
import type { AttemptRecord, DeliveryRecord } from "../../engine/webhooks/index.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { decodeOrThrow } from "../decode.ts";

const iso = (ms: number): string => new Date(ms).toISOString();

const attemptOf = (attempt: AttemptRecord): DeliveryAttempt => ({ ...attempt });

const deliveryOf = (record: DeliveryRecord): Delivery => ({
  id: record.id,
  webhookId: record.webhookId,
  jobId: record.jobId,
  eventType: record.eventType,
  seq: record.seq,
  url: record.url,
  status: record.status,
  attempts: record.attempts,
  createdAt: iso(record.createdMs),
  nextAttemptAt: record.nextMs === null ? null : iso(record.nextMs),
  lastAttempt: record.lastAttempt === null ? null : attemptOf(record.lastAttempt),
});

const webhookNotFound = (id: string): ApiError =>
  new ApiError(404, "webhook_not_found", `no webhook subscription with id ${id}`);
const deliveryNotFound = (id: string): ApiError =>
  new ApiError(404, "delivery_not_found", `no webhook delivery with id ${id}`);

export const registerWebhookRoutes = (app: FastifyInstance, deps: ApiDeps): void => {
  const { webhooks, jobs } = deps;

  app.post("/v1/webhooks", async (request, reply) => {
    const body = decodeOrThrow(CreateWebhookRequest, request.body, "body");
    const outcome = await webhooks.create(body, request.principal);
    if ("refused" in outcome)
      throw new ApiError(422, "webhook_url_not_allowed", `body.url: ${outcome.refused}`, {
        field: "body.url",
      });
    if ("limit" in outcome)
      throw new ApiError(
        422,
        "webhook_limit",
        `as many webhook subscriptions exist as the deployment allows (${outcome.limit}); remove one first`,
        { limit: outcome.limit },
      );
    return reply.code(201).send(outcome.created satisfies WebhookCreated);
  });

  app.get("/v1/webhooks", async () => ({ webhooks: await webhooks.list() }) satisfies WebhookList);

  app.get("/v1/webhooks/:id", async (request) => {
    const { id } = decodeOrThrow(WebhookIdParams, request.params, "params");
    const found = await webhooks.get(id);
    if (found === null) throw webhookNotFound(id);
    return found satisfies Webhook;
  });

  app.delete("/v1/webhooks/:id", async (request) => {
    const { id } = decodeOrThrow(WebhookIdParams, request.params, "params");
    if (request.body !== undefined) decodeOrThrow(EmptyBody, request.body, "body");
    const removed = await webhooks.remove(id);
    if (removed === null) throw webhookNotFound(id);
    return removed satisfies Webhook;
  });

  app.get("/v1/webhooks/:id/deliveries", async (request) => {
    const { id } = decodeOrThrow(WebhookIdParams, request.params, "params");
    const { status } = decodeOrThrow(DeliveriesQuery, request.query, "query");
    if ((await webhooks.get(id)) === null) throw webhookNotFound(id);
    const found = await webhooks.deliveries({ webhookId: id, ...(status === undefined ? {} : { status }) });
    return { deliveries: found.map(deliveryOf) } satisfies DeliveryList;
  });

  app.get("/v1/jobs/:id/webhook-deliveries", async (request) => {
    const { id } = decodeOrThrow(JobIdParams, request.params, "params");
    // A job that never existed is a 404, like every other job route; one that has left Redis is
    // found in the archive (its deliveries are kept apart from it).
    await jobs.view(id);
    return { deliveries: (await webhooks.deliveries({ jobId: id })).map(deliveryOf) } satisfies DeliveryList;
  });

  app.get("/v1/webhook-deliveries", async (request) => {
    const { status } = decodeOrThrow(DeliveriesQuery, request.query, "query");
    const found = await webhooks.deliveries({ status: status ?? "dead" });
    return { deliveries: found.map(deliveryOf) } satisfies DeliveryList;
  });

  app.get("/v1/webhook-deliveries/:id", async (request) => {
    const { id } = decodeOrThrow(DeliveryIdParams, request.params, "params");
    const found = await webhooks.delivery(id);
    if (found === null) throw deliveryNotFound(id);
    return {
      ...deliveryOf(found.delivery),
      attemptLog: found.attempts.map(attemptOf),
    } satisfies DeliveryDetail;
  });

  app.post("/v1/webhook-deliveries/:id/retry", async (request, reply) => {
    const { id } = decodeOrThrow(DeliveryIdParams, request.params, "params");
    if (request.body !== undefined) decodeOrThrow(EmptyBody, request.body, "body");
    const outcome = await webhooks.retry(id);
    if (outcome === "not_found") throw deliveryNotFound(id);
    if (outcome === "not_dead")
      throw new ApiError(
        409,
        "delivery_not_dead",
        `delivery ${id} is not dead: only a dead delivery may be retried`,
      );
    const found = await webhooks.delivery(id);
    if (found === null) throw deliveryNotFound(id);
    return reply.code(202).send(deliveryOf(found.delivery) satisfies Delivery);
  });
};
