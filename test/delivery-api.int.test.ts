/**
 * A job's concurrency key over HTTP (ADR 0039): accepted with the spec, shown by the fresh view
 * and by the projection's; a limit without a key, or out of bounds, is a 400 naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobView } from "../src/engine/read/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

let redis: TestRedis;
let api: TestApi;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
});
afterAll(async () => {
  await api.stop();
  await redis.stop();
});

const post = (payload: object) => api.app.inject({ method: "POST", url: "/v1/jobs", payload });

describe("concurrency keys over HTTP", () => {
  it("a spec's concurrencyKey and concurrencyLimit are in the job view, fresh and projected", async () => {
    const response = await post({ type: "sync", concurrencyKey: "customer-42 ✓", concurrencyLimit: 3 });
    expect(response.statusCode).toBe(202);
    const job = response.json<JobView>();
    expect(job).toMatchObject({ concurrencyKey: "customer-42 ✓", concurrencyLimit: 3 });
    const fresh = (await api.app.inject({ method: "GET", url: `/v1/jobs/${job.id}` })).json<JobView>();
    expect(fresh).toMatchObject({ concurrencyKey: "customer-42 ✓", concurrencyLimit: 3 });
    const projected = await waitFor(() => api.readSide.reads.job(job.id), "the job to be projected");
    expect(projected).toMatchObject({ concurrencyKey: "customer-42 ✓", concurrencyLimit: 3 });
    const keyOnly = (await post({ type: "sync", concurrencyKey: "c" })).json<JobView>();
    expect(keyOnly).toMatchObject({ concurrencyKey: "c", concurrencyLimit: 1 });
    const none = (await post({ type: "sync" })).json<JobView>();
    expect(none).toMatchObject({ concurrencyKey: null, concurrencyLimit: null });
  });

  it.each([
    [{ type: "sync", concurrencyLimit: 2 }, "concurrencyLimit"],
    [{ type: "sync", concurrencyKey: "c", concurrencyLimit: 0 }, "concurrencyLimit"],
    [{ type: "sync", concurrencyKey: "c", concurrencyLimit: 1e9 }, "concurrencyLimit"],
    [{ type: "sync", concurrencyKey: "" }, "concurrencyKey"],
    [{ type: "sync", concurrencyKey: "\ud800" }, "concurrencyKey"],
    [{ type: "sync", concurrencyKey: "x".repeat(257) }, "concurrencyKey"],
  ])("refuses %j with a 400 naming %s", async (spec, field) => {
    const response = await post(spec);
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(response.json())).toContain(field);
  });
});
