/**
 * What the webhooks room needs (ADR 0038): a store for subscriptions, deliveries and the
 * follower's position in each shard log, and a sender that makes one HTTP request under the
 * deployment's address policy. Redis and node:http implement them (src/infra).
 */

/** A subscription with its secret: only the deliverer ever sees the secret. */
export interface WebhookSubscription {
  readonly id: string;
  readonly url: string;
  /** Event types, or `*` for all. */
  readonly events: ReadonlyArray<string>;
  readonly secret: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface AttemptRecord {
  readonly at: string;
  readonly outcome: "delivered" | "failed";
  readonly httpStatus: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

export type DeliveryStatus = "pending" | "delivered" | "dead";

/** A delivery as first recorded: one event for one target, with the exact body every attempt sends. */
export interface NewDelivery {
  readonly id: string;
  /** The subscription, or null for the job's own `webhook`. */
  readonly webhookId: string | null;
  readonly jobId: string;
  readonly eventType: string;
  readonly seq: number;
  readonly url: string;
  readonly body: string;
  readonly createdMs: number;
}

export interface DeliveryRecord extends NewDelivery {
  readonly status: DeliveryStatus;
  /** Attempts made in all. */
  readonly attempts: number;
  /** Attempts since the delivery was created or last retried by hand: what the retry budget counts. */
  readonly round: number;
  /** When the next attempt is due (pending only). */
  readonly nextMs: number | null;
  readonly lastAttempt: AttemptRecord | null;
}

/** What to do after an attempt. */
export type AttemptVerdict =
  | { readonly status: "delivered" }
  | { readonly status: "pending"; readonly dueMs: number }
  | { readonly status: "dead" };

export interface DeliveryFilter {
  readonly webhookId?: string;
  readonly jobId?: string;
  readonly status?: DeliveryStatus;
}

export interface WebhookStore {
  /** Adds it unless `limit` subscriptions exist already (false), in one step. */
  addSubscription(subscription: WebhookSubscription, limit: number): Promise<boolean>;
  /** Every subscription, with secrets. */
  subscriptions(): Promise<ReadonlyArray<WebhookSubscription>>;
  subscription(id: string): Promise<WebhookSubscription | null>;
  /** Removes it and answers what was removed (null when there was none). */
  removeSubscription(id: string): Promise<WebhookSubscription | null>;
  /** The follower's position in one shard log ("0-0" before the first entry). */
  cursor(shard: number): Promise<string>;
  /**
   * Records the deliveries (each once: an id already recorded is left as it is) and moves the
   * shard's cursor from `from` to `to`, atomically; false (nothing written) when the cursor is no
   * longer `from` (another follower moved it).
   */
  enqueue(shard: number, from: string, to: string, deliveries: ReadonlyArray<NewDelivery>): Promise<boolean>;
  /**
   * Up to `limit` pending deliveries due at `nowMs`, each leased until `leaseUntilMs` (due again
   * then, if its attempt is never recorded: a crashed deliverer loses nothing).
   */
  claimDue(nowMs: number, leaseUntilMs: number, limit: number): Promise<ReadonlyArray<DeliveryRecord>>;
  /** Records one attempt and what follows it; false when the delivery was no longer pending. */
  record(id: string, attempt: AttemptRecord, verdict: AttemptVerdict): Promise<boolean>;
  delivery(
    id: string,
  ): Promise<{ readonly delivery: DeliveryRecord; readonly attempts: ReadonlyArray<AttemptRecord> } | null>;
  /** Newest first. */
  deliveries(filter: DeliveryFilter, limit: number): Promise<ReadonlyArray<DeliveryRecord>>;
  /** How many deliveries are pending and dead now. */
  counts(): Promise<{ readonly pending: number; readonly dead: number }>;
  /** Makes a dead delivery pending again, due at `nowMs`, with a fresh retry budget. */
  retry(id: string, nowMs: number): Promise<"retried" | "not_found" | "not_dead">;
}

export interface SendRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

/** An answer (any status: the sender never follows redirects), or why there was none. */
export type SendOutcome = { readonly status: number } | { readonly error: string };

export interface WebhookSender {
  send(request: SendRequest): Promise<SendOutcome>;
}
