/**
 * Webhooks' composition (ADR 0038): the subscription service the API serves and the deliverer an
 * API process runs (`docket api`, `docket start`), on the API's Redis connection and shard logs.
 * Part of the composition root (main.ts).
 */
import type { RedisClient } from "../infra/redis/connection.ts";
import type { EventLog } from "../engine/read/index.ts";
import { type Clock, JobNotFound } from "../engine/shared/index.ts";
import type { Envelope } from "../domain/index.ts";
import {
  type AddressPolicy,
  JobWebhookTargets,
  type DeliveryPolicy,
  WebhookDeliverer,
  WebhookService,
} from "../engine/webhooks/index.ts";
import { HttpWebhookSender } from "../infra/http/webhook-sender.ts";
import { RedisWebhookStore } from "../infra/redis/redis-webhook-store.ts";

export interface WebhookSettings {
  /** DOCKET_WEBHOOK_ALLOW_PRIVATE=1: deliver to loopback and private addresses too (default false). */
  readonly allowPrivate?: boolean;
  /** DOCKET_WEBHOOK_ALLOW: addresses or CIDR ranges allowed although not public. */
  readonly allow?: ReadonlyArray<string>;
  /** DOCKET_WEBHOOK_SECRET: what a job's own `webhook` deliveries are signed with. */
  readonly jobSecret?: string;
  /** Retries, backoff, time limit, concurrency (DEFAULT_DELIVERY_POLICY otherwise). */
  readonly policy?: Partial<DeliveryPolicy>;
  /** Run a deliverer in this process (default true). */
  readonly deliver?: boolean;
  /** Told about the deliverer's failures (it carries on by itself). */
  readonly onError?: (error: unknown) => void;
}

export interface ComposedWebhooks {
  readonly service: WebhookService;
  /** The deliverer, not yet started; null when this process does not deliver. */
  readonly deliverer: WebhookDeliverer | null;
}

const policyOf = (settings: WebhookSettings): AddressPolicy => ({
  allowPrivate: settings.allowPrivate ?? false,
  allow: settings.allow ?? [],
});

/** The subscription service alone, on an open connection (the in-process API's `docket.webhooks`). */
export const webhookServiceOn = (
  client: RedisClient,
  prefix: string,
  clock: Clock,
  settings: WebhookSettings = {},
): WebhookService => new WebhookService(new RedisWebhookStore(client, prefix), clock, policyOf(settings));

export const composeWebhooks = (
  wiring: {
    readonly client: RedisClient;
    readonly prefix: string;
    readonly clock: Clock;
    readonly log: EventLog;
    /** A job's events (its own webhook is in the first); rejects when the job is gone. */
    readonly jobEvents: (jobId: string) => Promise<ReadonlyArray<Envelope>>;
  },
  settings: WebhookSettings = {},
): ComposedWebhooks => {
  const policy = policyOf(settings);
  const store = new RedisWebhookStore(wiring.client, wiring.prefix);
  const service = new WebhookService(store, wiring.clock, policy);
  const jobTargets = new JobWebhookTargets(async (jobId) => {
    // Only a job that is gone has no webhook; any other failure (Redis away) fails the pass,
    // which is retried from the same cursor.
    const events = await wiring.jobEvents(jobId).catch((error: unknown) => {
      if (error instanceof JobNotFound) return [];
      throw error;
    });
    return events[0] ?? null;
  });
  const deliverer =
    settings.deliver === false
      ? null
      : new WebhookDeliverer({
          store,
          sender: new HttpWebhookSender(policy),
          log: wiring.log,
          clock: wiring.clock,
          random: Math.random,
          ...(settings.policy === undefined ? {} : { policy: settings.policy }),
          ...(settings.jobSecret === undefined ? {} : { jobSecret: settings.jobSecret }),
          jobTarget: (envelope) => jobTargets.targetFor(envelope),
          ...(settings.onError === undefined ? {} : { onError: settings.onError }),
        });
  return { service, deliverer };
};
