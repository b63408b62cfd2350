/**
 * Which deliveries one log entry makes (ADR 0038): for each subscription that asks for its event
 * type and existed when it happened, and for the job's own `webhook`, one delivery whose id is
 * derived from (target, shard, entry id), so following the same entry again (after a crash,
 * or by two followers) records nothing new, and receivers can dedupe on `Docket-Delivery`.
 */
import { createHash } from "node:crypto";
import type { Envelope } from "../../domain/index.ts";
import type { NewDelivery, WebhookSubscription } from "./ports.ts";

/** A place an event goes: a subscription, or (webhookId null) the job's own webhook. */
export interface DeliveryTarget {
  readonly webhookId: string | null;
  readonly url: string;
  readonly events: ReadonlyArray<string>;
}

export const wantsEvent = (events: ReadonlyArray<string>, type: string): boolean =>
  events.includes("*") || events.includes(type);

export const deliveryIdOf = (target: string, shard: number, entryId: string): string =>
  `dlv_${createHash("sha256").update(`${target}|${shard}|${entryId}`).digest("hex").slice(0, 32)}`;

/** The JSON body every attempt of a delivery sends, byte for byte (the signature covers it). */
export const deliveryBody = (id: string, envelope: Envelope): string =>
  JSON.stringify({
    id,
    type: envelope.type,
    jobId: envelope.jobId,
    seq: envelope.seq,
    occurredAt: envelope.at,
    event: envelope,
  });

export const subscriptionTargets = (
  subscriptions: ReadonlyArray<WebhookSubscription>,
  envelope: Envelope,
): ReadonlyArray<DeliveryTarget> =>
  // A subscription gets what happened from its creation on, not the history before it.
  subscriptions
    .filter((s) => s.createdAt <= envelope.at)
    .map((s) => ({ webhookId: s.id, url: s.url, events: s.events }));

export const plannedDeliveries = (
  shard: number,
  entryId: string,
  envelope: Envelope,
  targets: ReadonlyArray<DeliveryTarget>,
  createdMs: number,
): ReadonlyArray<NewDelivery> =>
  targets
    .filter((target) => wantsEvent(target.events, envelope.type))
    .map((target) => {
      const id = deliveryIdOf(target.webhookId ?? `job:${envelope.jobId}`, shard, entryId);
      return {
        id,
        webhookId: target.webhookId,
        jobId: envelope.jobId,
        eventType: envelope.type,
        seq: envelope.seq,
        url: target.url,
        body: deliveryBody(id, envelope),
        createdMs,
      };
    });
