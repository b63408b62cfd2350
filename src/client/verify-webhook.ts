/**
 * Verifying Docket's outbound webhooks on the receiving side (ADR 0038). Pass the raw body
 * exactly as received (a string or the bytes; a body parsed and re-serialised is another body),
 * the `Docket-Signature` header and your subscription's secret. The replay window: a delivery
 * whose signed time `t` is more than `toleranceS` seconds from now (default 300) is refused even
 * with a valid signature, so a captured delivery cannot be replayed later. Receivers should also
 * dedupe on `Docket-Delivery` (deliveries are at least once).
 */
// The domain's module itself, not its face: it loads node:crypto and nothing else, so the client
// stays free of Effect and XState (the one exception to client-stands-alone, ADR 0038).
import {
  DEFAULT_WEBHOOK_TOLERANCE_S,
  verifyWebhookSignature,
  type WebhookVerification,
} from "../domain/webhook-signature.ts";

export { DEFAULT_WEBHOOK_TOLERANCE_S, type WebhookVerification };

export const verifyWebhook = (
  secret: string,
  header: string | undefined,
  body: string | Uint8Array,
  toleranceS: number = DEFAULT_WEBHOOK_TOLERANCE_S,
  nowS: number = Date.now() / 1000,
): WebhookVerification => verifyWebhookSignature(secret, header, body, toleranceS, nowS);
