/**
 * A deployment holds at most DEFAULT_MAX_WEBHOOKS subscriptions: every job event fans out to each
 * that matches, so their number bounds one event's deliveries. The count and the add are one
 * script, so concurrent creates never pass the limit together. Real API, real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_WEBHOOKS } from "../src/engine/webhooks/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";

let redis: TestRedis;
let api: TestApi;
beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
}, 60_000);
afterAll(async () => {
  await api.stop();
  await redis.stop();
});

const create = (i: number) =>
  api.app.inject({
    method: "POST",
    url: "/v1/webhooks",
    payload: { url: `https://hooks.example.com/${i}`, events: ["JobCompleted"] },
  });

describe("webhook subscriptions: a limit per deployment", () => {
  it("concurrent creates past the limit: exactly the limit are created, the rest are 422 webhook_limit; a removal makes room", async () => {
    const extra = 30;
    const answers = await Promise.all(
      Array.from({ length: DEFAULT_MAX_WEBHOOKS + extra }, (_, i) => create(i)),
    );
    const created = answers.filter((a) => a.statusCode === 201);
    const refused = answers.filter((a) => a.statusCode === 422);
    expect(created).toHaveLength(DEFAULT_MAX_WEBHOOKS);
    expect(refused).toHaveLength(extra);
    for (const r of refused)
      expect(r.json()).toMatchObject({ error: { code: "webhook_limit", limit: DEFAULT_MAX_WEBHOOKS } });
    const listed = (await api.app.inject({ method: "GET", url: "/v1/webhooks" })).json<{
      webhooks: unknown[];
    }>();
    expect(listed.webhooks).toHaveLength(DEFAULT_MAX_WEBHOOKS);

    expect((await create(1_000)).statusCode).toBe(422);
    const victim = created[0]?.json<{ id: string }>().id;
    const removed = await api.app.inject({ method: "DELETE", url: `/v1/webhooks/${victim}`, payload: {} });
    expect(removed.statusCode).toBe(200);
    expect((await create(1_001)).statusCode).toBe(201);
    expect((await create(1_002)).statusCode).toBe(422);
  });
});
