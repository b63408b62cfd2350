/**
 * Webhook use cases for API clients (ADR 0038): subscribe, list, read, remove; read deliveries
 * and their attempts; retry a dead delivery. Secrets go in and never come out, except a secret
 * Docket generated, answered once by `create`.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../shared/index.ts";
import { type AddressPolicy, checkWebhookUrl } from "./address-policy.ts";
import type {
  AttemptRecord,
  DeliveryFilter,
  DeliveryRecord,
  WebhookStore,
  WebhookSubscription,
} from "./ports.ts";

/** A subscription as shown: everything but the secret. */
export type PublicSubscription = Omit<WebhookSubscription, "secret">;

export const withoutSecret = ({ secret: _secret, ...shown }: WebhookSubscription): PublicSubscription =>
  shown;

export type CreateOutcome =
  | { readonly created: PublicSubscription & { readonly secret?: string } }
  | { readonly refused: string }
  | { readonly limit: number };

/**
 * Subscriptions a deployment holds at most: every job event is matched against each, and each
 * match is a delivery, so their number bounds what one event can fan out to.
 */
export const DEFAULT_MAX_WEBHOOKS = 100;

export class WebhookService {
  constructor(
    private readonly store: WebhookStore,
    private readonly clock: Clock,
    private readonly policy: AddressPolicy,
    private readonly maxSubscriptions = DEFAULT_MAX_WEBHOOKS,
  ) {}

  async create(
    request: { readonly url: string; readonly events: ReadonlyArray<string>; readonly secret?: string },
    createdBy: string,
  ): Promise<CreateOutcome> {
    const checked = checkWebhookUrl(request.url, this.policy);
    if ("problem" in checked) return { refused: checked.problem };
    const generated =
      request.secret === undefined ? `whsec_${randomBytes(24).toString("base64url")}` : undefined;
    const subscription: WebhookSubscription = {
      id: `wh_${randomBytes(12).toString("hex")}`,
      url: checked.url.href,
      events: [...new Set(request.events)],
      secret: request.secret ?? (generated as string),
      createdAt: new Date(this.clock.now()).toISOString(),
      createdBy,
    };
    if (!(await this.store.addSubscription(subscription, this.maxSubscriptions)))
      return { limit: this.maxSubscriptions };
    return {
      created: { ...withoutSecret(subscription), ...(generated === undefined ? {} : { secret: generated }) },
    };
  }

  /** Why a webhook may not point at `url` under the deployment's policy (null: it may). */
  urlProblem(url: string): string | null {
    const checked = checkWebhookUrl(url, this.policy);
    return "problem" in checked ? checked.problem : null;
  }

  async list(): Promise<ReadonlyArray<PublicSubscription>> {
    return (await this.store.subscriptions()).map(withoutSecret);
  }

  async get(id: string): Promise<PublicSubscription | null> {
    const found = await this.store.subscription(id);
    return found === null ? null : withoutSecret(found);
  }

  async remove(id: string): Promise<PublicSubscription | null> {
    const removed = await this.store.removeSubscription(id);
    return removed === null ? null : withoutSecret(removed);
  }

  deliveries(filter: DeliveryFilter, limit = 200): Promise<ReadonlyArray<DeliveryRecord>> {
    return this.store.deliveries(filter, limit);
  }

  delivery(
    id: string,
  ): Promise<{ readonly delivery: DeliveryRecord; readonly attempts: ReadonlyArray<AttemptRecord> } | null> {
    return this.store.delivery(id);
  }

  /** Pending and dead deliveries now (the process's metrics show them). */
  counts(): Promise<{ readonly pending: number; readonly dead: number }> {
    return this.store.counts();
  }

  retry(id: string): Promise<"retried" | "not_found" | "not_dead"> {
    return this.store.retry(id, this.clock.now());
  }
}
