/**
 * A job's own webhook as a delivery target (ADR 0038). The spec is in the job's JobSubmitted
 * event: the log brings that event before the job's others, so following the log fills the cache
 * as it goes; a miss (a restart in the middle of a job's life, or an evicted entry) reads the
 * job's first event once. Jobs without a webhook are cached too (as null).
 */
import type { Envelope } from "../../domain/index.ts";
import type { DeliveryTarget } from "./delivery-plan.ts";

/** Jobs remembered; the oldest is forgotten first. */
const CACHE_SIZE = 50_000;

export class JobWebhookTargets {
  private readonly cache = new Map<string, DeliveryTarget | null>();

  /** `firstEvent`: the job's JobSubmitted envelope (null when the job is gone). */
  constructor(private readonly firstEvent: (jobId: string) => Promise<Envelope | null>) {}

  private remember(jobId: string, target: DeliveryTarget | null): DeliveryTarget | null {
    if (this.cache.size >= CACHE_SIZE) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(jobId, target);
    return target;
  }

  private static targetOf(envelope: Envelope | null): DeliveryTarget | null {
    if (envelope === null || envelope.type !== "JobSubmitted") return null;
    const webhook = envelope.data.spec.webhook;
    return webhook === undefined
      ? null
      : { webhookId: null, url: webhook.url, events: webhook.events ?? ["*"] };
  }

  async targetFor(envelope: Envelope): Promise<DeliveryTarget | null> {
    if (envelope.type === "JobSubmitted")
      return this.remember(envelope.jobId, JobWebhookTargets.targetOf(envelope));
    const cached = this.cache.get(envelope.jobId);
    if (cached !== undefined) return cached;
    return this.remember(envelope.jobId, JobWebhookTargets.targetOf(await this.firstEvent(envelope.jobId)));
  }
}
