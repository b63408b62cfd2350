/**
 * The webhooks room's store on Redis (ADR 0038): subscriptions in one hash (id → JSON, secret
 * included: the deliverer signs with it), each delivery a hash with its attempt log, sorted-set
 * indexes by subscription, job and status, the due set deliverers lease from, and one cursor
 * per shard log. Every state change of a delivery is one script (lua/webhook-*.lua).
 *
 * Lifetime: the caller owns the connection.
 */
import type {
  AttemptRecord,
  AttemptVerdict,
  DeliveryFilter,
  DeliveryRecord,
  DeliveryStatus,
  NewDelivery,
  WebhookStore,
  WebhookSubscription,
} from "../../engine/webhooks/index.ts";
import { type RedisClient, guarded } from "./connection.ts";
import { Keys } from "./keys.ts";
import { type ScriptClient, withScripts } from "./scripts.ts";

const fieldsOf = (flat: ReadonlyArray<string>): Map<string, string> => {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i] as string, flat[i + 1] as string);
  return map;
};

const STATUSES: ReadonlySet<string> = new Set(["pending", "delivered", "dead"]);

/** A delivery hash as stored; null when it is not one (missing or damaged). */
const deliveryOf = (fields: Map<string, string>): DeliveryRecord | null => {
  const status = fields.get("status");
  const id = fields.get("id");
  if (id === undefined || status === undefined || !STATUSES.has(status)) return null;
  const last = fields.get("last");
  const nextMs = fields.get("nextMs");
  const webhookId = fields.get("webhookId") ?? "";
  return {
    id,
    webhookId: webhookId === "" ? null : webhookId,
    jobId: fields.get("jobId") ?? "",
    eventType: fields.get("eventType") ?? "",
    seq: Number(fields.get("seq") ?? 0),
    url: fields.get("url") ?? "",
    body: fields.get("body") ?? "",
    createdMs: Number(fields.get("createdMs") ?? 0),
    status: status as DeliveryStatus,
    attempts: Number(fields.get("attempts") ?? 0),
    round: Number(fields.get("round") ?? 0),
    nextMs: status === "pending" && nextMs !== undefined && nextMs !== "" ? Number(nextMs) : null,
    lastAttempt: last === undefined ? null : (JSON.parse(last) as AttemptRecord),
  };
};

export const DEFAULT_DELIVERED_RETAIN_MS = 7 * 24 * 3_600_000;

export class RedisWebhookStore implements WebhookStore {
  private readonly client: RedisClient & ScriptClient;
  private readonly tag: string;

  constructor(
    client: RedisClient,
    prefix: string,
    /** How long a delivered delivery stays readable (default 7 days); dead ones stay until retried. */
    private readonly deliveredRetainMs = DEFAULT_DELIVERED_RETAIN_MS,
  ) {
    this.client = withScripts(client);
    this.tag = new Keys(prefix, 1).webhooksTag();
  }

  private get subsKey(): string {
    return `${this.tag}subs`;
  }

  async addSubscription(subscription: WebhookSubscription, limit: number): Promise<boolean> {
    const added = await guarded(() =>
      this.client.docketWebhookSubscribe(
        1,
        this.subsKey,
        subscription.id,
        JSON.stringify(subscription),
        limit,
      ),
    );
    return added === 1;
  }

  async subscriptions(): Promise<ReadonlyArray<WebhookSubscription>> {
    const all = await guarded(() => this.client.hgetall(this.subsKey));
    return Object.values(all)
      .map((text) => JSON.parse(text) as WebhookSubscription)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async subscription(id: string): Promise<WebhookSubscription | null> {
    const text = await guarded(() => this.client.hget(this.subsKey, id));
    return text === null ? null : (JSON.parse(text) as WebhookSubscription);
  }

  async removeSubscription(id: string): Promise<WebhookSubscription | null> {
    const found = await this.subscription(id);
    if (found === null) return null;
    const removed = await guarded(() => this.client.hdel(this.subsKey, id));
    return removed === 1 ? found : null;
  }

  async cursor(shard: number): Promise<string> {
    return (await guarded(() => this.client.get(`${this.tag}cursor:${shard}`))) ?? "0-0";
  }

  async enqueue(
    shard: number,
    from: string,
    to: string,
    deliveries: ReadonlyArray<NewDelivery>,
  ): Promise<boolean> {
    const args: Array<string | number> = [this.tag, from, to];
    for (const d of deliveries)
      args.push(d.id, d.webhookId ?? "", d.jobId, d.eventType, d.seq, d.url, d.body, d.createdMs);
    const written = await guarded(() =>
      this.client.docketWebhookEnqueue(1, `${this.tag}cursor:${shard}`, args),
    );
    return written === 1;
  }

  async claimDue(nowMs: number, leaseUntilMs: number, limit: number): Promise<ReadonlyArray<DeliveryRecord>> {
    const leased = (await guarded(() =>
      this.client.docketWebhookClaim(1, `${this.tag}due`, nowMs, leaseUntilMs, limit, this.tag),
    )) as ReadonlyArray<ReadonlyArray<string>>;
    return leased.map((flat) => deliveryOf(fieldsOf(flat))).filter((d): d is DeliveryRecord => d !== null);
  }

  async record(id: string, attempt: AttemptRecord, verdict: AttemptVerdict): Promise<boolean> {
    const recorded = await guarded(() =>
      this.client.docketWebhookRecord(
        1,
        `${this.tag}delivery:${id}`,
        this.tag,
        id,
        JSON.stringify(attempt),
        verdict.status,
        verdict.status === "pending" ? verdict.dueMs : 0,
        Date.parse(attempt.at),
        this.deliveredRetainMs,
      ),
    );
    return recorded === 1;
  }

  async delivery(
    id: string,
  ): Promise<{ readonly delivery: DeliveryRecord; readonly attempts: ReadonlyArray<AttemptRecord> } | null> {
    const [fields, attempts] = await guarded(() =>
      Promise.all([
        this.client.hgetall(`${this.tag}delivery:${id}`),
        this.client.lrange(`${this.tag}attempts:${id}`, 0, -1),
      ]),
    );
    const delivery = deliveryOf(new Map(Object.entries(fields)));
    if (delivery === null) return null;
    return { delivery, attempts: attempts.map((text) => JSON.parse(text) as AttemptRecord) };
  }

  async deliveries(filter: DeliveryFilter, limit: number): Promise<ReadonlyArray<DeliveryRecord>> {
    // Read from the most selective index, filter by the rest.
    const index =
      filter.webhookId !== undefined
        ? `sub:${filter.webhookId}`
        : filter.jobId !== undefined
          ? `job:${filter.jobId}`
          : `status:${filter.status ?? "dead"}`;
    const ids = await guarded(() => this.client.zrevrange(`${this.tag}${index}`, 0, 999));
    if (ids.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hgetall(`${this.tag}delivery:${id}`);
    const results = (await guarded(() => pipeline.exec())) ?? [];
    const found: Array<DeliveryRecord> = [];
    const expired: Array<string> = [];
    for (const [i, [error, fields]] of results.entries()) {
      if (error !== null) continue;
      const delivery = deliveryOf(new Map(Object.entries(fields as Record<string, string>)));
      if (delivery === null) {
        // Its retention ran out (webhook-record.lua): the index lets go of it too.
        expired.push(ids[i] as string);
        continue;
      }
      if (filter.status !== undefined && delivery.status !== filter.status) continue;
      if (filter.jobId !== undefined && delivery.jobId !== filter.jobId) continue;
      found.push(delivery);
      if (found.length >= limit) break;
    }
    if (expired.length > 0) await guarded(() => this.client.zrem(`${this.tag}${index}`, ...expired));
    return found;
  }

  async counts(): Promise<{ readonly pending: number; readonly dead: number }> {
    const [pending, dead] = await guarded(() =>
      Promise.all([
        this.client.zcard(`${this.tag}status:pending`),
        this.client.zcard(`${this.tag}status:dead`),
      ]),
    );
    return { pending, dead };
  }

  async retry(id: string, nowMs: number): Promise<"retried" | "not_found" | "not_dead"> {
    return (await guarded(() =>
      this.client.docketWebhookRetry(1, `${this.tag}delivery:${id}`, this.tag, id, nowMs),
    )) as "retried" | "not_found" | "not_dead";
  }
}
