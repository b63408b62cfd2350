/**
 * The deliverer (ADR 0038): follows every shard log from its own cursor (kept in the store, so
 * nothing is lost or repeated across restarts), records the deliveries each event makes, and
 * sends the due ones: signed, with a delivery id, retried with exponential backoff and jitter
 * until delivered or its attempts are spent (dead, listable, retryable by hand). At least once:
 * a delivery whose attempt was never recorded (the process died) is due again when its lease ends.
 *
 * Lifetime: `start()` runs one loop until `stop()`; several processes may each run one (the
 * store's cursor moves by compare-and-set, a due delivery is leased to one process at a time).
 */
import { type Envelope, signWebhook } from "../../domain/index.ts";
import type { EventLog, LogEntry } from "../read/index.ts";
import type { Clock } from "../shared/index.ts";
import { type DeliveryTarget, plannedDeliveries, subscriptionTargets } from "./delivery-plan.ts";
import type {
  AttemptRecord,
  AttemptVerdict,
  DeliveryRecord,
  NewDelivery,
  WebhookSender,
  WebhookStore,
  WebhookSubscription,
} from "./ports.ts";

export interface DeliveryPolicy {
  /** Attempts before a delivery is dead (default 8). */
  readonly maxAttempts: number;
  /** The first retry's delay before jitter (default 1 s); doubles per attempt, up to maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** One attempt's time limit, connect to last byte read (default 10 s). */
  readonly timeoutMs: number;
  /** Deliveries sent at once (default 8). */
  readonly concurrency: number;
  /** Idle wait between passes when there was nothing to do (default 250 ms). */
  readonly pollMs: number;
  /** Log entries read per shard per pass (default 200). */
  readonly batch: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 1_000,
  maxDelayMs: 3_600_000,
  timeoutMs: 10_000,
  concurrency: 8,
  pollMs: 250,
  batch: 200,
};

/**
 * The delay before retry number `round + 1`: exponential, capped, with "equal jitter" (half
 * fixed, half random) so receivers recovering from an outage are not hit by every retry at once.
 */
export const retryDelayMs = (round: number, policy: DeliveryPolicy, random: () => number): number => {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, round - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
};

export interface DelivererOptions {
  readonly store: WebhookStore;
  readonly sender: WebhookSender;
  readonly log: Pick<EventLog, "read" | "shards">;
  readonly clock: Clock;
  readonly random: () => number;
  readonly policy?: Partial<DeliveryPolicy>;
  /** The job's own webhook for an event, if it has one (per-job `webhook` field). */
  readonly jobTarget?: (envelope: Envelope) => Promise<DeliveryTarget | null>;
  /** The secret job webhooks are signed with (DOCKET_WEBHOOK_SECRET); absent: they are dead at once. */
  readonly jobSecret?: string;
  readonly onError?: (error: unknown) => void;
}

const isEntry = (record: unknown): record is LogEntry =>
  typeof record === "object" && record !== null && "envelope" in record;

export class WebhookDeliverer {
  private readonly policy: DeliveryPolicy;
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;

  constructor(private readonly options: DelivererOptions) {
    this.policy = { ...DEFAULT_DELIVERY_POLICY, ...options.policy };
  }

  start(): void {
    if (this.running !== null) return;
    this.stopping = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = null;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let busy = false;
      try {
        busy = (await this.follow()) > 0;
        busy = (await this.dispatch()) > 0 || busy;
      } catch (error) {
        this.options.onError?.(error);
      }
      if (!busy && !this.stopping)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.policy.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
    }
  }

  /** One pass over every shard log: record the deliveries of new entries. Answers entries read. */
  async follow(): Promise<number> {
    const { store, log } = this.options;
    let read = 0;
    let subscriptions: ReadonlyArray<WebhookSubscription> | null = null;
    for (let shard = 0; shard < log.shards; shard++) {
      const from = await store.cursor(shard);
      const records = await log.read(shard, from, this.policy.batch);
      const last = records.at(-1);
      if (last === undefined) continue;
      subscriptions ??= await store.subscriptions();
      const deliveries: Array<NewDelivery> = [];
      const now = this.options.clock.now();
      for (const record of records) {
        // An entry that does not decode makes no delivery (the projector halts on it; ADR 0019).
        if (!isEntry(record)) continue;
        const targets = [...subscriptionTargets(subscriptions, record.envelope)];
        const own = (await this.options.jobTarget?.(record.envelope)) ?? null;
        if (own !== null) targets.push(own);
        deliveries.push(...plannedDeliveries(shard, record.entryId, record.envelope, targets, now));
      }
      await store.enqueue(shard, from, last.entryId, deliveries);
      read += records.length;
    }
    return read;
  }

  /** Send the deliveries due now (up to the concurrency). Answers how many were attempted. */
  async dispatch(): Promise<number> {
    const { store, clock } = this.options;
    const now = clock.now();
    // The lease outlasts an attempt, so only a process that died leaves a delivery to be re-sent.
    const due = await store.claimDue(now, now + this.policy.timeoutMs * 2 + 5_000, this.policy.concurrency);
    if (due.length === 0) return 0;
    const subscriptions = new Map((await store.subscriptions()).map((s) => [s.id, s]));
    await Promise.all(
      due.map(async (delivery) => {
        try {
          await this.attempt(delivery, subscriptions);
        } catch (error) {
          this.options.onError?.(error);
        }
      }),
    );
    return due.length;
  }

  private secretOf(delivery: DeliveryRecord, subscriptions: ReadonlyMap<string, WebhookSubscription>) {
    if (delivery.webhookId === null)
      return this.options.jobSecret ?? { error: "no secret for job webhooks (DOCKET_WEBHOOK_SECRET)" };
    return subscriptions.get(delivery.webhookId)?.secret ?? { error: "the subscription was removed" };
  }

  private async attempt(
    delivery: DeliveryRecord,
    subscriptions: ReadonlyMap<string, WebhookSubscription>,
  ): Promise<void> {
    const { clock, sender, store } = this.options;
    const started = clock.now();
    const secret = this.secretOf(delivery, subscriptions);
    if (typeof secret !== "string") {
      // Nothing to sign with: retrying cannot help.
      await store.record(
        delivery.id,
        {
          at: new Date(started).toISOString(),
          outcome: "failed",
          httpStatus: null,
          error: secret.error,
          durationMs: 0,
        },
        { status: "dead" },
      );
      return;
    }
    const outcome = await sender.send({
      url: delivery.url,
      body: delivery.body,
      timeoutMs: this.policy.timeoutMs,
      headers: {
        "content-type": "application/json",
        "user-agent": "Docket-Webhooks/1",
        "docket-delivery": delivery.id,
        "docket-event": delivery.eventType,
        "docket-signature": signWebhook(secret, Math.floor(started / 1000), delivery.body),
      },
    });
    const ended = clock.now();
    const delivered = "status" in outcome && outcome.status >= 200 && outcome.status < 300;
    const attempt: AttemptRecord = {
      at: new Date(started).toISOString(),
      outcome: delivered ? "delivered" : "failed",
      httpStatus: "status" in outcome ? outcome.status : null,
      error: "error" in outcome ? outcome.error : null,
      durationMs: Math.max(0, ended - started),
    };
    const round = delivery.round + 1;
    const verdict: AttemptVerdict = delivered
      ? { status: "delivered" }
      : round >= this.policy.maxAttempts
        ? { status: "dead" }
        : { status: "pending", dueMs: ended + retryDelayMs(round, this.policy, this.options.random) };
    await store.record(delivery.id, attempt, verdict);
  }
}
