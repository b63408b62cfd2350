/**
 * Cancel announcements over Redis Pub/Sub (ADR 0040): the job service publishes a cancelled job's
 * id on the deployment's channel once the cancel is recorded; each worker listens on a connection
 * of its own (a subscribed connection can do nothing else) and checks its lease on that job at
 * once. Pub/Sub is fire and forget: a worker disconnected meanwhile misses the message and finds
 * out at its next lease renewal, as before. In a Redis Cluster, PUBLISH reaches every node's
 * subscribers, so the channel needs no hash tag.
 */
import type { CancelFeed } from "../../engine/worker/ports.ts";
import type { CancelNotices } from "../../engine/write/ports.ts";
import { guarded, patientCopyOf, type RedisClient } from "./connection.ts";
import { Keys } from "./keys.ts";

/** How long `listen` waits for its subscription before returning (it goes on trying). */
const SUBSCRIBE_WAIT_MS = 2_000;

export interface RedisCancelNoticesOptions {
  readonly client: RedisClient;
  readonly prefix: string;
}

export class RedisCancelNotices implements CancelNotices, CancelFeed {
  private readonly client: RedisClient;
  readonly channel: string;

  constructor(options: RedisCancelNoticesOptions) {
    this.client = options.client;
    this.channel = new Keys(options.prefix, 1).cancelChannel();
  }

  announce(jobId: string): Promise<void> {
    return guarded(async () => void (await this.client.publish(this.channel, jobId)));
  }

  async listen(cancelled: (jobId: string) => void): Promise<{ stop(): Promise<void> }> {
    // A connection of its own that, unlike the others, queues its SUBSCRIBE until Redis answers
    // and subscribes again after each reconnect (ioredis' autoResubscribe): a worker started while
    // Redis is away hears of cancels once it is back.
    const subscriber = patientCopyOf(this.client);
    subscriber.on("error", () => undefined);
    subscriber.on("message", (channel: string, jobId: string) => {
      if (channel === this.channel) cancelled(jobId);
    });
    const subscribed = subscriber.subscribe(this.channel).then(
      () => undefined,
      () => undefined,
    );
    // Resolves once subscribed, or after a while without Redis (it keeps trying meanwhile).
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([subscribed, new Promise((r) => (waited = setTimeout(r, SUBSCRIBE_WAIT_MS)))]);
    clearTimeout(waited);
    return { stop: async () => void subscriber.disconnect() };
  }
}
