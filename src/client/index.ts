/**
 * The typed client's face: `DocketClient`, its error, and the types it takes and returns (all
 * derived from the API contract, src/contract). Fetch only: it loads no Redis, SQLite, fastify
 * or engine code (dependency-cruiser's `client-stands-alone`), so it can be published on its own.
 */
export { DocketClient } from "./docket-client.ts";
export type { StreamMessage, StreamOptions } from "./event-stream.ts";
export { isEnded } from "./wait.ts";
export { DocketApiError, type ErrorDetails } from "./errors.ts";
export type * from "./types.ts";
export { DEFAULT_WEBHOOK_TOLERANCE_S, verifyWebhook, type WebhookVerification } from "./verify-webhook.ts";
export { WebhooksClient } from "./webhooks-client.ts";
