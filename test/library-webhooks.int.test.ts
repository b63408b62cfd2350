/**
 * Webhooks from the in-process API (ADR 0038): `docket.webhooks` manages subscriptions on the same
 * Redis as the HTTP API, never shows a secret it was given, refuses non-public targets by
 * default; `verifyWebhook` comes with the package's main entry.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signWebhook } from "../src/domain/index.ts";
import { connect, type Docket, verifyWebhook } from "../src/index.ts";
import { startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";

let redis: TestRedis;
let docket: Docket;

beforeAll(async () => {
  redis = await startRedis();
  docket = await connect({ redisUrl: redis.url, prefix: uniquePrefix() });
});
afterAll(async () => {
  await docket?.close();
  await redis?.stop();
});

describe("docket.webhooks", () => {
  it("creates, lists, reads and removes a subscription, never showing the secret it was given", async () => {
    const created = await docket.webhooks.create(
      { url: "https://hooks.example.com/docket", events: ["JobCompleted"], secret: "library-secret-0123456" },
      "library-test",
    );
    if (!("created" in created)) throw new Error(JSON.stringify(created));
    expect(created.created).not.toHaveProperty("secret");
    const listed = await docket.webhooks.list();
    expect(listed.map((w) => w.id)).toEqual([created.created.id]);
    expect(JSON.stringify(listed)).not.toContain("library-secret-0123456");
    expect(await docket.webhooks.get(created.created.id)).toMatchObject({
      url: "https://hooks.example.com/docket",
    });
    expect(await docket.webhooks.remove(created.created.id)).toMatchObject({ id: created.created.id });
    expect(await docket.webhooks.list()).toEqual([]);
  });

  it("refuses a loopback target by default", async () => {
    const refused = await docket.webhooks.create(
      { url: "http://127.0.0.1:9/", events: ["*"] },
      "library-test",
    );
    expect(refused).toHaveProperty("refused");
  });

  it("exports verifyWebhook from the package's main entry", () => {
    const body = '{"id":"dlv_x"}';
    const header = signWebhook("library-secret-0123456", 1_700_000_000, body);
    expect(verifyWebhook("library-secret-0123456", header, body, 300, 1_700_000_100).valid).toBe(true);
    expect(verifyWebhook("library-secret-0123456", header, body, 300, 1_700_000_400).valid).toBe(false);
  });
});
