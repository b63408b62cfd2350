/**
 * Webhooks, both directions (ADR 0038): what callers send and what the API answers for outbound
 * subscriptions and their deliveries, and for inbound hooks (`POST /v1/hooks/:source`).
 */
import * as Schema from "effect/Schema";
import { EVENT_TYPES, JobId, Name, NonNegativeInt, Timestamp } from "../domain/index.ts";

/** Longest webhook URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** A subscription's id: `wh_` and 24 hex digits. */
export const WebhookId = Schema.String.check(Schema.isPattern(/^wh_[0-9a-f]{24}$/));
/** A delivery's id: `dlv_` and 32 hex digits, derived from (target, log entry): stable across retries. */
export const DeliveryId = Schema.String.check(Schema.isPattern(/^dlv_[0-9a-f]{32}$/));

/** A job event type a subscription asks for, or `*` for all of them. */
export const WebhookEvent = Schema.Literals(["*", ...EVENT_TYPES]);
export const WebhookEvents = Schema.Array(WebhookEvent).check(Schema.isMinLength(1), Schema.isMaxLength(32));

/** An http(s) URL, at most MAX_WEBHOOK_URL_LENGTH characters (where it may point: ADR 0038). */
export const WebhookUrl = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(MAX_WEBHOOK_URL_LENGTH),
  Schema.isPattern(/^https?:\/\/[^\s]+$/i),
);

/** A signing secret: 16 to 256 printable ASCII characters. */
export const WebhookSecret = Schema.String.check(Schema.isPattern(/^[\x21-\x7e]{16,256}$/));

export const CreateWebhookRequest = Schema.Struct({
  url: WebhookUrl,
  events: WebhookEvents,
  /** Absent: Docket generates one and answers it once, in this response only. */
  secret: Schema.optionalKey(WebhookSecret),
});
export type CreateWebhookRequest = typeof CreateWebhookRequest.Type;

export const WebhookIdParams = Schema.Struct({ id: WebhookId });
export const DeliveryIdParams = Schema.Struct({ id: DeliveryId });
export const HookSourceParams = Schema.Struct({ source: Schema.String });

export const DeliveryStatus = Schema.Literals(["pending", "delivered", "dead"]);
export type DeliveryStatus = typeof DeliveryStatus.Type;
export const DeliveriesQuery = Schema.Struct({ status: Schema.optionalKey(DeliveryStatus) });

/** A subscription as the API shows it: never its secret. */
export const Webhook = Schema.Struct({
  id: WebhookId,
  url: Schema.String,
  /** Event types, or `*` (as CreateWebhookRequest accepted them). */
  events: Schema.Array(Schema.String),
  createdAt: Timestamp,
  createdBy: Schema.String,
});
export type Webhook = typeof Webhook.Type;

/** The answer to a create: the subscription, and the secret only when Docket generated it. */
export const WebhookCreated = Schema.Struct({
  ...Webhook.fields,
  secret: Schema.optionalKey(Schema.String),
});
export type WebhookCreated = typeof WebhookCreated.Type;

export const WebhookList = Schema.Struct({ webhooks: Schema.Array(Webhook) });
export type WebhookList = typeof WebhookList.Type;

/** One attempt to deliver: a 2xx is `delivered`; anything else (status, network error, refusal) `failed`. */
export const DeliveryAttempt = Schema.Struct({
  at: Timestamp,
  outcome: Schema.Literals(["delivered", "failed"]),
  /** The receiver's HTTP status, or null when there was no answer. */
  httpStatus: Schema.NullOr(Schema.Int),
  /** Why it failed without an answer (timeout, refused address, network error), else null. */
  error: Schema.NullOr(Schema.String),
  durationMs: NonNegativeInt,
});
export type DeliveryAttempt = typeof DeliveryAttempt.Type;

export const Delivery = Schema.Struct({
  id: DeliveryId,
  /** The subscription it is for, or null for a job's own `webhook`. */
  webhookId: Schema.NullOr(WebhookId),
  jobId: JobId,
  eventType: Schema.String,
  seq: Schema.Int,
  url: Schema.String,
  status: DeliveryStatus,
  attempts: NonNegativeInt,
  createdAt: Timestamp,
  /** When the next attempt is due (pending only). */
  nextAttemptAt: Schema.NullOr(Timestamp),
  lastAttempt: Schema.NullOr(DeliveryAttempt),
});
export type Delivery = typeof Delivery.Type;

export const DeliveryDetail = Schema.Struct({
  ...Delivery.fields,
  /** Every attempt, oldest first. */
  attemptLog: Schema.Array(DeliveryAttempt),
});
export type DeliveryDetail = typeof DeliveryDetail.Type;

export const DeliveryList = Schema.Struct({ deliveries: Schema.Array(Delivery) });
export type DeliveryList = typeof DeliveryList.Type;

/** What `POST /v1/hooks/:source` answers: the job the delivery became (the first one on a redelivery). */
export const HookAccepted = Schema.Struct({ jobId: JobId, type: Name, created: Schema.Boolean });
export type HookAccepted = typeof HookAccepted.Type;

/** A body with nothing to say (`{}` or none): DELETE and retry take no options. */
export const EmptyBody = Schema.Struct({});

/** An inbound hook's body: any JSON (GitHub's event payload), verified as raw bytes first. */
export const HookBody = Schema.Json;
