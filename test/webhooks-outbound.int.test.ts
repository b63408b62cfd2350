/**
 * Outbound webhooks on a real Redis, delivered over real HTTP to a local receiver: signed (checked
 * with `openssl dgst`, an independent HMAC), with a delivery id, retried until dead, listable and
 * retryable by hand; secrets never shown again; redirects not followed. The receiver is on
 * 127.0.0.1, so these deployments allow private addresses explicitly; the SSRF tests show the
 * default refuses them.
 */
import { execFileSync } from "node:child_process";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhook } from "../src/client/index.ts";
import type {
  Delivery,
  DeliveryDetail,
  DeliveryList,
  Webhook,
  WebhookCreated,
} from "../src/contract/index.ts";
import { DENY_PRIVATE } from "../src/engine/webhooks/index.ts";
import { HttpWebhookSender } from "../src/infra/http/webhook-sender.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A local receiver: records every request; answers what `answer` says for its path. */
class Receiver {
  readonly received: Array<Received> = [];
  answer: (path: string) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 });
  private server: Server | null = null;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Array<Buffer> = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const path = request.url ?? "/";
        this.received.push({ path, headers: request.headers, body: Buffer.concat(chunks) });
        const { status, headers } = this.answer(path);
        response.writeHead(status, headers).end("ok");
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  at(path: string): ReadonlyArray<Received> {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

const opensslHmacHex = (secret: string, data: Buffer): string => {
  const out = execFileSync("openssl", ["dgst", "-sha256", "-hmac", secret, "-hex"], { input: data });
  return /([0-9a-f]{64})\s*$/.exec(out.toString("utf8"))?.[1] ?? "";
};

const SECRET = "whsec_0123456789abcdef0123";
const JOB_SECRET = "job-webhook-secret-0123456789";
const json = { "content-type": "application/json" };

let redis: TestRedis;
let api: TestApi;
let receiver: Receiver;
let base: string;

beforeAll(async () => {
  redis = await startRedis();
  receiver = new Receiver();
  base = await receiver.start();
  api = await startApi(redis.url, {
    webhooks: {
      allowPrivate: true,
      jobSecret: JOB_SECRET,
      policy: { maxAttempts: 3, baseDelayMs: 30, maxDelayMs: 120, pollMs: 20, timeoutMs: 2_000 },
    },
  });
});
afterAll(async () => {
  await api?.stop();
  await receiver?.stop();
  await redis?.stop();
});

const subscribe = async (body: Record<string, unknown>): Promise<WebhookCreated> => {
  const response = await api.app.inject({
    method: "POST",
    url: "/v1/webhooks",
    headers: json,
    payload: body,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<WebhookCreated>();
};

const submitAndCancel = async (type: string): Promise<string> => {
  const submitted = await api.app.inject({
    method: "POST",
    url: "/v1/jobs",
    headers: json,
    payload: { type, runAt: new Date(Date.now() + 3_600_000).toISOString() },
  });
  expect(submitted.statusCode, submitted.body).toBe(202);
  const id = submitted.json<{ id: string }>().id;
  const cancelled = await api.app.inject({
    method: "POST",
    url: `/v1/jobs/${id}/cancel`,
    headers: json,
    payload: {},
  });
  expect(cancelled.statusCode, cancelled.body).toBe(200);
  return id;
};

describe("outbound webhooks", () => {
  it("delivers each subscribed event once, signed as openssl computes it, with a stable delivery id", async () => {
    const hook = await subscribe({
      url: `${base}/ok`,
      events: ["JobSubmitted", "JobCancelled"],
      secret: SECRET,
    });
    expect(hook).not.toHaveProperty("secret");
    const jobId = await submitAndCancel("webhook.signed");
    const got = await waitFor(() => receiver.at("/ok").length >= 2 && receiver.at("/ok"), "two deliveries");
    const types = got.map((r) => JSON.parse(r.body.toString("utf8")).type as string);
    // Deliveries are concurrent, not ordered: receivers order by the event's seq.
    expect(types.sort()).toEqual(["JobCancelled", "JobSubmitted"]);
    for (const request of got) {
      const header = String(request.headers["docket-signature"]);
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
      expect(v1).toBe(opensslHmacHex(SECRET, Buffer.concat([Buffer.from(`${t}.`), request.body])));
      expect(verifyWebhook(SECRET, header, request.body).valid).toBe(true);
      expect(verifyWebhook("another-secret-entirely", header, request.body).valid).toBe(false);
      const body = JSON.parse(request.body.toString("utf8"));
      expect(request.headers["docket-delivery"]).toBe(body.id);
      expect(body).toMatchObject({ jobId, event: { jobId, type: body.type } });
      expect(request.headers["content-type"]).toBe("application/json");
    }
    const listed = await waitFor(async () => {
      const page = (
        await api.app.inject({ method: "GET", url: `/v1/webhooks/${hook.id}/deliveries` })
      ).json<DeliveryList>();
      return page.deliveries.every((d) => d.status === "delivered") && page.deliveries.length === 2 && page;
    }, "both recorded as delivered");
    expect(listed.deliveries.map((d) => d.lastAttempt?.httpStatus)).toEqual([200, 200]);
    const forJob = (
      await api.app.inject({ method: "GET", url: `/v1/jobs/${jobId}/webhook-deliveries` })
    ).json<DeliveryList>();
    expect(forJob.deliveries.map((d) => d.id).sort()).toEqual(listed.deliveries.map((d) => d.id).sort());
    const removed = await api.app.inject({
      method: "DELETE",
      url: `/v1/webhooks/${hook.id}`,
      headers: json,
      payload: {},
    });
    expect(removed.statusCode).toBe(200);
  });

  it("delivers a job's own webhook, signed with the deployment's job secret, for the events it names", async () => {
    const submitted = await api.app.inject({
      method: "POST",
      url: "/v1/jobs",
      headers: json,
      payload: {
        type: "webhook.own",
        runAt: new Date(Date.now() + 3_600_000).toISOString(),
        webhook: { url: `${base}/own`, events: ["JobCancelled"] },
      },
    });
    expect(submitted.statusCode, submitted.body).toBe(202);
    const jobId = submitted.json<{ id: string }>().id;
    await api.app.inject({ method: "POST", url: `/v1/jobs/${jobId}/cancel`, headers: json, payload: {} });
    const [request] = await waitFor(
      () => receiver.at("/own").length >= 1 && receiver.at("/own"),
      "the job's webhook",
    );
    const header = String(request?.headers["docket-signature"]);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
    expect(v1).toBe(
      opensslHmacHex(JOB_SECRET, Buffer.concat([Buffer.from(`${t}.`), request?.body ?? Buffer.alloc(0)])),
    );
    expect(JSON.parse(request?.body.toString("utf8") ?? "{}")).toMatchObject({ type: "JobCancelled", jobId });
    const listed = await waitFor(async () => {
      const page = (
        await api.app.inject({ method: "GET", url: `/v1/jobs/${jobId}/webhook-deliveries` })
      ).json<DeliveryList>();
      return page.deliveries[0]?.status === "delivered" && page;
    }, "recorded as delivered");
    expect(listed.deliveries).toHaveLength(1);
    expect(listed.deliveries[0]).toMatchObject({
      webhookId: null,
      eventType: "JobCancelled",
      url: `${base}/own`,
    });
    const bad = await api.app.inject({
      method: "POST",
      url: "/v1/jobs",
      headers: json,
      payload: { type: "webhook.bad", webhook: { url: "ftp://x/" } },
    });
    expect(bad.statusCode).toBe(400);
  });

  it("never shows a secret after creation; a generated one is answered once", async () => {
    const generated = await subscribe({ url: `${base}/gen`, events: ["*"] });
    expect(generated.secret).toMatch(/^whsec_/);
    const one = await api.app.inject({ method: "GET", url: `/v1/webhooks/${generated.id}` });
    expect(one.json<Webhook>()).not.toHaveProperty("secret");
    const all = await api.app.inject({ method: "GET", url: "/v1/webhooks" });
    expect(all.body).not.toContain(generated.secret as string);
    expect(all.body).not.toContain(SECRET);
    await api.app.inject({
      method: "DELETE",
      url: `/v1/webhooks/${generated.id}`,
      headers: json,
      payload: {},
    });
    expect((await api.app.inject({ method: "GET", url: `/v1/webhooks/${generated.id}` })).statusCode).toBe(
      404,
    );
  });

  it("retries a failing receiver with backoff until dead, lists it, and delivers it again on a manual retry", async () => {
    let failing = true;
    receiver.answer = (path) => (path === "/flaky" && failing ? { status: 500 } : { status: 200 });
    const hook = await subscribe({ url: `${base}/flaky`, events: ["JobCancelled"], secret: SECRET });
    const jobId = await submitAndCancel("webhook.dead");
    const dead = await waitFor(async () => {
      const page = (
        await api.app.inject({ method: "GET", url: "/v1/webhook-deliveries?status=dead" })
      ).json<DeliveryList>();
      return page.deliveries.find((d) => d.jobId === jobId);
    }, "a dead delivery");
    expect(dead).toMatchObject({ webhookId: hook.id, status: "dead", attempts: 3, nextAttemptAt: null });
    expect(receiver.at("/flaky")).toHaveLength(3);
    const detail = (
      await api.app.inject({ method: "GET", url: `/v1/webhook-deliveries/${dead.id}` })
    ).json<DeliveryDetail>();
    expect(detail.attemptLog.map((a) => [a.outcome, a.httpStatus])).toEqual([
      ["failed", 500],
      ["failed", 500],
      ["failed", 500],
    ]);
    // Backoff: each retry waited longer than the base delay's lower half.
    const times = detail.attemptLog.map((a) => Date.parse(a.at));
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(15);
    const ids = new Set(receiver.at("/flaky").map((r) => r.headers["docket-delivery"]));
    expect(ids).toEqual(new Set([dead.id]));

    failing = false;
    const retried = await api.app.inject({
      method: "POST",
      url: `/v1/webhook-deliveries/${dead.id}/retry`,
      headers: json,
      payload: {},
    });
    expect(retried.statusCode, retried.body).toBe(202);
    expect(retried.json<Delivery>().status).toBe("pending");
    const delivered = await waitFor(async () => {
      const one = (
        await api.app.inject({ method: "GET", url: `/v1/webhook-deliveries/${dead.id}` })
      ).json<DeliveryDetail>();
      return one.status === "delivered" && one;
    }, "delivered after the retry");
    expect(delivered.attempts).toBe(4);
    expect(receiver.at("/flaky").at(-1)?.headers["docket-delivery"]).toBe(dead.id);
    const again = await api.app.inject({
      method: "POST",
      url: `/v1/webhook-deliveries/${dead.id}/retry`,
      headers: json,
      payload: {},
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("delivery_not_dead");
    const metrics = await api.app.inject({ method: "GET", url: "/metrics" });
    expect(metrics.body).toMatch(/^docket_webhook_deliveries_dead \d+$/m);
    expect(metrics.body).toMatch(/^docket_webhook_deliveries_pending \d+$/m);
    await api.app.inject({ method: "DELETE", url: `/v1/webhooks/${hook.id}`, headers: json, payload: {} });
  });

  it("does not follow a redirect: a 3xx is a failed attempt and the target is never asked", async () => {
    receiver.answer = (path) =>
      path === "/moved" ? { status: 302, headers: { location: `${base}/elsewhere` } } : { status: 200 };
    const hook = await subscribe({ url: `${base}/moved`, events: ["JobCancelled"], secret: SECRET });
    const jobId = await submitAndCancel("webhook.redirect");
    const dead = await waitFor(async () => {
      const page = (
        await api.app.inject({ method: "GET", url: `/v1/jobs/${jobId}/webhook-deliveries` })
      ).json<DeliveryList>();
      return page.deliveries.find((d) => d.status === "dead");
    }, "the redirected delivery dead");
    expect(dead.lastAttempt?.httpStatus).toBe(302);
    expect(receiver.at("/elsewhere")).toHaveLength(0);
    await api.app.inject({ method: "DELETE", url: `/v1/webhooks/${hook.id}`, headers: json, payload: {} });
  });

  it("refuses bad subscriptions with 4xx", async () => {
    for (const payload of [
      { url: "ftp://example.com/x", events: ["*"] },
      { url: "http://user:pw@example.com/x", events: ["*"] },
      { url: `${base}/x`, events: [] },
      { url: `${base}/x`, events: ["NoSuchEvent"] },
      { url: `${base}/x`, events: ["*"], secret: "short" },
      { url: `http://${"a".repeat(3000)}.com/`, events: ["*"] },
    ]) {
      const response = await api.app.inject({ method: "POST", url: "/v1/webhooks", headers: json, payload });
      expect(response.statusCode, JSON.stringify(payload).slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
    }
    expect((await api.app.inject({ method: "GET", url: "/v1/webhooks/wh_nope" })).statusCode).toBe(400);
    expect(
      (await api.app.inject({ method: "GET", url: `/v1/webhooks/wh_${"0".repeat(24)}` })).statusCode,
    ).toBe(404);
    const missing = `dlv_${"0".repeat(32)}`;
    expect(
      (await api.app.inject({ method: "GET", url: `/v1/webhook-deliveries/${missing}` })).statusCode,
    ).toBe(404);
  });
});

describe("SSRF: the default policy", () => {
  let guarded: TestApi;
  beforeAll(async () => {
    guarded = await startApi(redis.url);
  });
  afterAll(async () => {
    await guarded?.stop();
  });

  it("refuses a job whose own webhook points at a private address, single or in bulk", async () => {
    const single = await guarded.app.inject({
      method: "POST",
      url: "/v1/jobs",
      headers: json,
      payload: { type: "x", webhook: { url: "http://169.254.169.254/latest" } },
    });
    expect(single.statusCode).toBe(422);
    expect(single.json().error).toMatchObject({ code: "webhook_url_not_allowed", field: "body.webhook.url" });
    const bulk = await guarded.app.inject({
      method: "POST",
      url: "/v1/jobs/bulk",
      headers: json,
      payload: { jobs: [{ type: "x" }, { type: "x", webhook: { url: "http://[::1]/" } }] },
    });
    expect(bulk.statusCode).toBe(422);
    expect(bulk.json().error.field).toBe("body.jobs.1.webhook.url");
  });

  it("refuses subscriptions to loopback, private, link-local and metadata addresses however spelled", async () => {
    const port = new URL(base).port;
    for (const url of [
      `${base}/x`,
      `http://localhost:${port}/x`,
      "http://127.1/",
      "http://2130706433/",
      "http://0x7f.0.0.1/",
      "http://0.0.0.0/",
      "http://[::1]/",
      "http://[::ffff:127.0.0.1]/",
      "http://10.0.0.5/",
      "http://192.168.1.1/",
      "http://172.16.0.1/",
      "http://169.254.169.254/latest/meta-data/",
      "http://[fd00:ec2::254]/",
      "http://[fe80::1]/",
      "http://100.64.0.1/",
    ]) {
      const response = await guarded.app.inject({
        method: "POST",
        url: "/v1/webhooks",
        headers: json,
        payload: { url, events: ["*"] },
      });
      expect(response.statusCode, url).toBe(422);
      expect(response.json().error.code).toBe("webhook_url_not_allowed");
    }
  });

  it("checks the resolved address at delivery, not the name: a name resolving to loopback is refused", async () => {
    const before = receiver.received.length;
    const sender = new HttpWebhookSender(DENY_PRIVATE);
    const port = new URL(base).port;
    const outcome = await sender.send({
      url: `http://localhost:${port}/rebound`,
      headers: { "content-type": "application/json" },
      body: "{}",
      timeoutMs: 2_000,
    });
    expect(outcome).toMatchObject({
      error: expect.stringMatching(/^address_not_allowed: localhost resolves to/),
    });
    const literal = await sender.send({ url: `${base}/literal`, headers: {}, body: "{}", timeoutMs: 2_000 });
    expect(literal).toMatchObject({ error: expect.stringMatching(/^address_not_allowed/) });
    expect(receiver.received.length).toBe(before);
    // The same request with the allowance reaches the receiver.
    const allowed = await new HttpWebhookSender({ allowPrivate: false, allow: ["127.0.0.0/8", "::1"] }).send({
      url: `http://localhost:${port}/rebound`,
      headers: {},
      body: "{}",
      timeoutMs: 2_000,
    });
    expect(allowed).toEqual({ status: 200 });
  });

  it("gives up on a receiver slower than the time limit", async () => {
    const slow = createServer(() => undefined);
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    const port = (slow.address() as AddressInfo).port;
    const started = Date.now();
    const outcome = await new HttpWebhookSender({ allowPrivate: true, allow: [] }).send({
      url: `http://127.0.0.1:${port}/`,
      headers: {},
      body: "{}",
      timeoutMs: 300,
    });
    expect(outcome).toEqual({ error: "timeout after 300 ms" });
    expect(Date.now() - started).toBeLessThan(5_000);
    slow.closeAllConnections();
    await new Promise<void>((resolve) => slow.close(() => resolve()));
  });
});
