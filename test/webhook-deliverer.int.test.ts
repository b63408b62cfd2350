/**
 * The deliverer's guarantees on a real Redis and real HTTP (ADR 0038): every event is delivered
 * at least once with a stable delivery id, across a deliverer that dies mid-attempt (its leased
 * deliveries are sent by the next one when the lease ends) and across two deliverers following
 * the same log at once (each entry recorded once, each delivery sent once while both run).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebhookDeliverer, type WebhookSender, WebhookService } from "../src/engine/webhooks/index.ts";
import { systemClock } from "../src/engine/shared/index.ts";
import { HttpWebhookSender } from "../src/infra/http/webhook-sender.ts";
import { Keys } from "../src/infra/redis/keys.ts";
import { RedisEventLog } from "../src/infra/redis/redis-event-log.ts";
import { RedisWebhookStore } from "../src/infra/redis/redis-webhook-store.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

const ALLOW = { allowPrivate: true, allow: [] };
const POLICY = { pollMs: 20, timeoutMs: 500, baseDelayMs: 20, maxDelayMs: 40, concurrency: 50 };

let redis: TestRedis;
let engine: TestEngine;
let server: Server;
let url: string;
const received: Array<string> = [];
const running: Array<WebhookDeliverer> = [];

beforeAll(async () => {
  redis = await startRedis();
  server = createServer((request, response) => {
    received.push(String(request.headers["docket-delivery"]));
    request.resume();
    request.on("end", () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()));
});
afterAll(async () => {
  await engine?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await redis?.stop();
});

const deliverer = (
  sender: WebhookSender,
  store = new RedisWebhookStore(engine.client, engine.prefix),
): WebhookDeliverer => {
  const log = new RedisEventLog({
    client: engine.client,
    blockingClient: engine.client,
    prefix: engine.prefix,
    shards: 2,
  });
  const made = new WebhookDeliverer({
    store,
    sender,
    log,
    clock: systemClock,
    random: Math.random,
    policy: POLICY,
  });
  running.push(made);
  return made;
};

describe("the deliverer", () => {
  it("delivers every event at least once across a deliverer that dies mid-attempt, each under one stable id", async () => {
    engine = await makeEngine(redis.url, { shards: 2 });
    const store = new RedisWebhookStore(engine.client, engine.prefix);
    const service = new WebhookService(store, systemClock, ALLOW);
    const created = await service.create(
      { url, events: ["JobSubmitted"], secret: "deliverer-secret-0123" },
      "test",
    );
    if (!("created" in created)) throw new Error(JSON.stringify(created));
    for (let i = 0; i < 20; i++) await engine.jobs.submit({ type: "hooked", queue: "none" }, apiActor);

    // The first deliverer records every delivery, leases them, and never comes back (its sends hang).
    let sent = 0;
    const dying = deliverer({
      send: () => {
        sent++;
        return new Promise(() => undefined);
      },
    });
    expect(await dying.follow()).toBeGreaterThanOrEqual(20);
    void dying.dispatch();
    await waitFor(() => sent === 20, "the dying deliverer's 20 attempts under way");
    expect(received).toHaveLength(0);

    // A fresh deliverer: nothing new to record (the cursor moved with the deliveries), and once
    // the leases end, every delivery is sent.
    const next = deliverer(new HttpWebhookSender(ALLOW));
    await next.follow();
    const pending = await store.deliveries({ status: "pending" }, 1000);
    expect(pending).toHaveLength(20);
    next.start();
    await waitFor(
      async () => (await store.deliveries({ status: "delivered" }, 1000)).length === 20,
      "all delivered",
      30_000,
    );
    expect(new Set(received)).toEqual(new Set(pending.map((d) => d.id)));
    expect(received).toHaveLength(20);
  });

  it("two deliverers following the same log record each delivery once and send it once", async () => {
    received.length = 0;
    await engine.close();
    engine = await makeEngine(redis.url, { shards: 2 });
    const store = new RedisWebhookStore(engine.client, engine.prefix);
    const service = new WebhookService(store, systemClock, ALLOW);
    const created = await service.create({ url, events: ["*"], secret: "deliverer-secret-0123" }, "test");
    if (!("created" in created)) throw new Error(JSON.stringify(created));
    const a = deliverer(new HttpWebhookSender(ALLOW));
    const b = deliverer(new HttpWebhookSender(ALLOW));
    a.start();
    b.start();
    for (let i = 0; i < 30; i++) {
      const { jobId } = await engine.jobs.submit({ type: "hooked", queue: "none" }, apiActor);
      if (i % 3 === 0) await engine.jobs.cancel(jobId, apiActor, "test");
    }
    // One delivery per event in the log ("*"), whatever the events of a submit and a cancel are.
    const keys = new Keys(engine.prefix, 2);
    const expected = (await engine.client.xlen(keys.log(0))) + (await engine.client.xlen(keys.log(1)));
    expect(expected).toBeGreaterThanOrEqual(40);
    await waitFor(
      async () => (await store.deliveries({ status: "delivered" }, 1000)).length === expected,
      "every event delivered",
      30_000,
    );
    expect(received).toHaveLength(expected);
    expect(new Set(received).size).toBe(expected);
  });

  it("lets go of a delivered delivery after its retention, and its indexes with it", async () => {
    received.length = 0;
    await engine.close();
    engine = await makeEngine(redis.url, { shards: 2 });
    const store = new RedisWebhookStore(engine.client, engine.prefix, 300);
    const service = new WebhookService(store, systemClock, ALLOW);
    const created = await service.create(
      { url, events: ["JobSubmitted"], secret: "deliverer-secret-0123" },
      "test",
    );
    if (!("created" in created)) throw new Error(JSON.stringify(created));
    const { jobId } = await engine.jobs.submit({ type: "hooked", queue: "none" }, apiActor);
    const short = deliverer(new HttpWebhookSender(ALLOW), store);
    short.start();
    const [delivered] = await waitFor(async () => {
      const found = await store.deliveries({ jobId, status: "delivered" }, 10);
      return found.length === 1 && found;
    }, "delivered");
    await waitFor(async () => (await store.delivery(delivered?.id ?? "")) === null, "expired", 5_000);
    expect(await store.deliveries({ jobId }, 10)).toEqual([]);
    expect(await engine.client.zcard(`${engine.prefix}:{webhooks}:job:${jobId}`)).toBe(0);
  });
});
