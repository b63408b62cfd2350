/**
 * Webhooks from the typed client and the `docket webhooks` commands against a real listening API
 * (real Redis): create, list (no secret), deliveries, retry of a dead delivery, remove.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocketApiError, DocketClient } from "../src/client/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { runDocket } from "./support/docket.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

const docket = (args: ReadonlyArray<string>, env: Record<string, string>) => runDocket(args, { env });

let redis: TestRedis;
let api: TestApi;
let client: DocketClient;
let env: Record<string, string>;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url, {
    token: "webhook-cli-token",
    // Nothing listens on port 9 of 127.0.0.1: every attempt fails fast, so deliveries go dead.
    webhooks: { allowPrivate: true, policy: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 40, pollMs: 20 } },
  });
  const address = await api.app.listen({ port: 0, host: "127.0.0.1" });
  client = new DocketClient({ baseUrl: address, token: "webhook-cli-token" });
  env = { DOCKET_API_URL: address, DOCKET_API_TOKEN: "webhook-cli-token" };
});
afterAll(async () => {
  await api?.stop();
  await redis?.stop();
});

describe("docket webhooks and client.webhooks", () => {
  it("create, list, deliveries, retry and remove, from the CLI and the client alike", async () => {
    const created = await docket(
      ["webhooks", "create", "http://127.0.0.1:9/hook", "--events", "JobSubmitted", "--json"],
      env,
    );
    expect(created.status, created.stderr).toBe(0);
    const hook = JSON.parse(created.stdout) as { id: string; secret: string };
    expect(hook.secret).toMatch(/^whsec_/);

    const listed = await docket(["webhooks", "list"], env);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(hook.id);
    expect(listed.stdout).not.toContain(hook.secret);
    expect((await client.webhooks.list()).map((w) => w.id)).toContain(hook.id);

    const job = await client.submit({ type: "webhook.cli" });
    const dead = await waitFor(async () => {
      const found = await client.webhooks.deliveries({ webhookId: hook.id, status: "dead" });
      return found[0];
    }, "a dead delivery");
    expect(dead.lastAttempt?.error).toMatch(/network_error/);
    expect((await client.webhooks.deliveries({ jobId: job.id })).map((d) => d.id)).toEqual([dead.id]);

    const table = await docket(["webhooks", "deliveries", "--status", "dead"], env);
    expect(table.status).toBe(0);
    expect(table.stdout).toContain(dead.id);

    const retried = await docket(["webhooks", "retry", dead.id, "--json"], env);
    expect(retried.status, retried.stderr).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({ id: dead.id, status: "pending" });
    const detail = await waitFor(async () => {
      const one = await client.webhooks.delivery(dead.id);
      return one.status === "dead" && one.attempts === 4 && one;
    }, "dead again after two more attempts");
    expect(detail.attemptLog).toHaveLength(4);

    const removed = await docket(["webhooks", "remove", hook.id], env);
    expect(removed.status).toBe(0);
    await expect(client.webhooks.get(hook.id)).rejects.toSatisfy(
      (e) => e instanceof DocketApiError && e.code === "webhook_not_found",
    );
    const bad = await docket(["webhooks", "create", "http://127.0.0.1:9/", "--events", "Nope"], env);
    expect(bad.status).not.toBe(0);
  });
});
