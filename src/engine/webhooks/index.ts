/**
 * The webhooks room's face (ADR 0038): outbound subscriptions and deliveries (the service the API
 * uses, the deliverer `docket api`/`start` run), the address policy against SSRF, and the ports.
 */
export type * from "./ports.ts";
export {
  type AddressPolicy,
  addressAllowed,
  checkWebhookUrl,
  DENY_PRIVATE,
  parseAllowEntry,
} from "./address-policy.ts";
export { type DeliveryTarget, deliveryBody, deliveryIdOf, wantsEvent } from "./delivery-plan.ts";
export {
  DEFAULT_DELIVERY_POLICY,
  type DelivererOptions,
  type DeliveryPolicy,
  retryDelayMs,
  WebhookDeliverer,
} from "./deliverer.ts";
export {
  type CreateOutcome,
  DEFAULT_MAX_WEBHOOKS,
  type PublicSubscription,
  WebhookService,
  withoutSecret,
} from "./webhook-service.ts";
export { JobWebhookTargets } from "./job-targets.ts";
