/** The webhook routes (ADR 0038): outbound subscriptions and deliveries, inbound hooks. */
import * as R from "./requests.ts";
import * as W from "./webhooks.ts";
import { anyRequest, error, notFound, type Operation, redis, writes } from "./operation.ts";

const webhookNotFound = { 404: error("No such webhook subscription (`webhook_not_found`)") } as const;
const deliveryNotFound = { 404: error("No such delivery (`delivery_not_found`)") } as const;
const deliveries = { description: "Deliveries, newest first (at most 200)", schema: W.DeliveryList };

export const WEBHOOK_OPERATIONS: ReadonlyArray<Operation> = [
  {
    method: "POST",
    path: "/v1/webhooks",
    summary: "Subscribe a URL to job events (signed deliveries, retried with backoff)",
    description:
      "Each matching job event is POSTed as JSON with `Docket-Signature: t=<unix>,v1=<hex " +
      'HMAC-SHA256(secret, t + "." + body)>` and `Docket-Delivery: <delivery id>`. The secret is ' +
      "never shown again (answered only when Docket generated it). URLs resolving to loopback, " +
      "private, link-local or metadata addresses are refused unless the deployment allows them.",
    body: { schema: W.CreateWebhookRequest, required: true },
    responses: {
      201: { description: "Created", schema: W.WebhookCreated },
      ...writes,
      ...redis,
      422: error(
        "The URL may not be delivered to (`webhook_url_not_allowed`), or as many subscriptions exist as the deployment allows, 100 (`webhook_limit`, with `limit`)",
      ),
    },
  },
  {
    method: "GET",
    path: "/v1/webhooks",
    summary: "List webhook subscriptions (without their secrets)",
    responses: { 200: { description: "Subscriptions", schema: W.WebhookList }, ...anyRequest, ...redis },
  },
  {
    method: "GET",
    path: "/v1/webhooks/:id",
    summary: "One webhook subscription (without its secret)",
    params: W.WebhookIdParams,
    responses: {
      200: { description: "The subscription", schema: W.Webhook },
      ...anyRequest,
      ...webhookNotFound,
      ...redis,
    },
  },
  {
    method: "DELETE",
    path: "/v1/webhooks/:id",
    summary: "Remove a subscription: no new deliveries for it (its recorded deliveries stay readable)",
    params: W.WebhookIdParams,
    body: { schema: W.EmptyBody, required: false },
    responses: {
      200: { description: "The removed subscription", schema: W.Webhook },
      ...writes,
      ...webhookNotFound,
      ...redis,
    },
  },
  {
    method: "GET",
    path: "/v1/webhooks/:id/deliveries",
    summary:
      "A subscription's deliveries with their last attempt; `status=dead` lists those whose retries are spent",
    params: W.WebhookIdParams,
    query: { schema: W.DeliveriesQuery, describe: { status: "pending, delivered or dead" } },
    responses: { 200: deliveries, ...anyRequest, ...webhookNotFound, ...redis },
  },
  {
    method: "GET",
    path: "/v1/jobs/:id/webhook-deliveries",
    summary: "The webhook deliveries of one job's events (subscriptions' and the job's own)",
    params: R.JobIdParams,
    responses: { 200: deliveries, ...anyRequest, ...notFound, ...redis },
  },
  {
    method: "GET",
    path: "/v1/webhook-deliveries",
    summary: "Deliveries across subscriptions and jobs, by status (default: dead)",
    query: { schema: W.DeliveriesQuery, describe: { status: "pending, delivered or dead (default dead)" } },
    responses: { 200: deliveries, ...anyRequest, ...redis },
  },
  {
    method: "GET",
    path: "/v1/webhook-deliveries/:id",
    summary: "One delivery with every attempt (time, outcome, HTTP status or error)",
    params: W.DeliveryIdParams,
    responses: {
      200: { description: "The delivery", schema: W.DeliveryDetail },
      ...anyRequest,
      ...deliveryNotFound,
      ...redis,
    },
  },
  {
    method: "POST",
    path: "/v1/webhook-deliveries/:id/retry",
    summary: "Deliver a dead delivery again (same delivery id, attempts start over)",
    params: W.DeliveryIdParams,
    body: { schema: W.EmptyBody, required: false },
    responses: {
      202: { description: "Pending again", schema: W.Delivery },
      ...writes,
      ...deliveryNotFound,
      ...redis,
      409: error("Only a dead delivery may be retried (`delivery_not_dead`)"),
    },
  },
];

export const HOOK_OPERATIONS: ReadonlyArray<Operation> = [
  {
    method: "POST",
    path: "/v1/hooks/:source",
    summary: "Inbound webhook (GitHub's scheme): a verified delivery becomes one job",
    description:
      "Authenticated by signature, not bearer token: `X-Hub-Signature-256: sha256=<hex " +
      "HMAC-SHA256(secret, raw body)>` with the source's secret (DOCKET_HOOK_SECRET_<SOURCE>). " +
      "The job's type is `<source>.<X-GitHub-Event>`, its payload the body, its idempotency key " +
      "the `X-GitHub-Delivery` id, so a redelivery is the same job. A source without a secret is 404.",
    public: true,
    params: W.HookSourceParams,
    headers: [
      { name: "X-Hub-Signature-256", description: "sha256=<hex HMAC-SHA256 of the raw body>" },
      { name: "X-GitHub-Event", description: "The event name; the job type is `<source>.<event>`" },
      { name: "X-GitHub-Delivery", description: "The delivery id: the job's idempotency key" },
    ],
    body: { schema: W.HookBody, required: true },
    responses: {
      202: { description: "The job (the first one for a redelivery)", schema: W.HookAccepted },
      ...writes,
      401: error("Missing or wrong signature (`invalid_signature`); nothing is recorded"),
      404: error("No hook source by that name (`hook_source_not_found`)"),
      ...redis,
    },
  },
];
