/**
 * `GET /v1/jobs?status=&at=` scans the whole log, so its cost is bounded (ADR 0019): a log longer
 * than the scan limit is refused at once with 422 `scan_limit_exceeded`, and a scan beyond the
 * concurrent ones allowed gets 429 `time_travel_busy` with Retry-After; within the bounds it
 * answers as before, skipping quarantined entries like the projections do.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";

const MAX_ENTRIES = 12;

let redis: TestRedis;
let api: TestApi;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url, {
    limits: { timeTravelMaxEntries: MAX_ENTRIES, timeTravelConcurrency: 1 },
  });
});
afterAll(async () => {
  await api?.stop();
  await redis?.stop();
});

const submit = async (count: number): Promise<ReadonlyArray<string>> => {
  const ids: Array<string> = [];
  for (let i = 0; i < count; i++) {
    const response = await api.app.inject({ method: "POST", url: "/v1/jobs", payload: { type: "tt" } });
    expect(response.statusCode).toBe(202);
    ids.push(response.json<{ id: string }>().id);
  }
  return ids;
};
const queuedNow = () => api.app.inject({ method: "GET", url: `/v1/jobs?status=queued&at=${Date.now()}` });

describe("time travel over all jobs", () => {
  it("answers within the bounds, one scan at a time, skipping a quarantined entry", async () => {
    const ids = await submit(4);
    // An undecodable entry claiming one of the jobs, quarantined: the scan skips it.
    const logKey = api.engine.store.keys.log(0);
    const badId = await api.engine.client.xadd(
      logKey,
      "*",
      "jobId",
      ids[0] as string,
      "seq",
      "2",
      "env",
      "{",
    );
    const quarantined = await api.app.inject({
      method: "POST",
      url: "/v1/projections/quarantine",
      payload: { shard: 0, entryId: badId, reason: "test garbage" },
    });
    expect(quarantined.statusCode).toBe(201);

    const alone = await queuedNow();
    expect(alone.statusCode).toBe(200);
    expect(alone.json()).toMatchObject({ total: 4, unreadable: [], scanned: { entries: 5 } });

    // Two at once with a concurrency of 1: one answers, the other is refused at once.
    const [first, second] = await Promise.all([queuedNow(), queuedNow()]);
    const statuses = [first?.statusCode, second?.statusCode].sort();
    expect(statuses).toEqual([200, 429]);
    const busy = first?.statusCode === 429 ? first : second;
    expect(busy?.json()).toMatchObject({ error: { code: "time_travel_busy", limit: 1 } });
    expect(busy?.headers["retry-after"]).toBe("1");
    // The turn is given back: the next one answers.
    expect((await queuedNow()).statusCode).toBe(200);
  });

  it("refuses at once, naming the limit, when the log is longer than a scan may read", async () => {
    await submit(MAX_ENTRIES);
    const length = await api.engine.client.xlen(api.engine.store.keys.log(0));
    expect(length).toBeGreaterThan(MAX_ENTRIES);
    const refused = await queuedNow();
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      error: { code: "scan_limit_exceeded", entries: length, limit: MAX_ENTRIES },
    });
    expect(refused.json().error.message).toContain("DOCKET_TIME_TRAVEL_MAX_ENTRIES");
    // One job's state at a time is still answered (it reads that job's history only).
    const one = await api.app.inject({
      method: "GET",
      url: `/v1/jobs/${(await submit(1))[0]}/state?at=${Date.now()}`,
    });
    expect(one.statusCode).toBe(200);
  });
});
