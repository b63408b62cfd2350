/**
 * The schedule routes (ADR 0037) over the real API: create, list, read, change, pause, resume,
 * remove and history; the refusals (invalid cron, zone, job spec, names) are 4xx with stable
 * codes; every answer is checked against the contract (startApi's answer check).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";

let redis: TestRedis;
let api: TestApi;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url, { token: "sched-token" });
});
afterAll(async () => {
  await api.stop();
  await redis.stop();
});

const auth = { authorization: "Bearer sched-token" };
const call = (method: "GET" | "POST" | "PATCH" | "DELETE", url: string, payload?: unknown) =>
  api.app.inject({
    method,
    url,
    headers: method === "GET" ? auth : { ...auth, "content-type": "application/json" },
    ...(method === "GET" ? {} : { payload: JSON.stringify(payload ?? {}) }),
  });

const job = { type: "report", payload: { day: "today" } };

describe("the schedule routes", () => {
  it("create, read, list, change, pause, resume and remove a schedule", async () => {
    const created = await call("POST", "/v1/schedules", {
      name: "nightly",
      cron: "30 2 * * *",
      timezone: "Europe/Berlin",
      job,
      overlap: "skip",
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      name: "nightly",
      status: "active",
      timezone: "Europe/Berlin",
      overlap: "skip",
      catchUp: "none",
      catchUpMax: 10,
      version: 1,
      fired: 0,
    });
    expect(created.json().nextFireTimes).toHaveLength(5);
    expect(
      (await call("POST", "/v1/schedules", { name: "nightly", cron: "* * * * *", job })).json(),
    ).toMatchObject({
      error: { code: "schedule_exists", schedule: "nightly" },
    });
    const read = await call("GET", "/v1/schedules/nightly");
    expect(read.statusCode).toBe(200);
    expect(read.json().recent).toEqual([]);
    expect(
      (await call("GET", "/v1/schedules")).json().schedules.map((s: { name: string }) => s.name),
    ).toEqual(["nightly"]);
    const patched = await call("PATCH", "/v1/schedules/nightly", { cron: "0 3 * * *", catchUp: "last" });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ cron: "0 3 * * *", catchUp: "last", version: 2 });
    expect((await call("POST", "/v1/schedules/nightly/pause")).json()).toMatchObject({
      status: "paused",
      nextFireTimes: [],
    });
    const again = await call("POST", "/v1/schedules/nightly/pause");
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: "schedule_refused" } });
    expect((await call("POST", "/v1/schedules/nightly/resume")).json()).toMatchObject({ status: "active" });
    const history = await call("GET", "/v1/schedules/nightly/history");
    expect(history.json()).toMatchObject({ name: "nightly", verified: true });
    expect(history.json().events.map((e: { type: string }) => e.type)).toEqual([
      "ScheduleCreated",
      "ScheduleUpdated",
      "SchedulePaused",
      "ScheduleResumed",
    ]);
    expect(history.json().events[0].actor).toEqual({ kind: "client", id: "default" });
    const removed = await call("DELETE", "/v1/schedules/nightly");
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({ status: "removed" });
    expect((await call("GET", "/v1/schedules/nightly")).statusCode).toBe(404);
    expect((await call("DELETE", "/v1/schedules/nightly")).json()).toMatchObject({
      error: { code: "schedule_not_found" },
    });
  });

  it("refuses bad crons, zones, job specs and names with 4xx codes", async () => {
    const cases: ReadonlyArray<readonly [unknown, number, string]> = [
      [{ name: "a", cron: "every day", job }, 400, "invalid_cron"],
      [{ name: "a", cron: "0 0 30 2 *", job }, 400, "invalid_cron"],
      [{ name: "a", cron: "* * * * *", timezone: "Europe/Atlantis", job }, 400, "invalid_timezone"],
      [{ name: "a", cron: "* * * * *", timezone: "\ud800", job }, 400, "invalid_unicode"],
      [{ name: "a", cron: "* * * * *", job: { type: "x", timeoutMs: 2 ** 31 } }, 400, "invalid_schedule"],
      [
        { name: "a", cron: "* * * * *", job: { type: "x", runAt: "2030-01-01T00:00:00.000Z" } },
        400,
        "invalid_schedule",
      ],
      [{ name: "a".repeat(65), cron: "* * * * *", job }, 400, "invalid_schedule"],
      [{ name: "a/b", cron: "* * * * *", job }, 400, "invalid_schedule"],
      [{ name: "a", cron: "x".repeat(100_000), job }, 400, "invalid_schedule"],
      [{ name: "a", cron: "* * * * *", job, extra: 1 }, 400, "invalid_schedule"],
      [[], 400, "invalid_schedule"],
    ];
    for (const [body, status, code] of cases) {
      const answer = await call("POST", "/v1/schedules", body);
      expect([answer.statusCode, answer.json().error.code], JSON.stringify(body).slice(0, 80)).toEqual([
        status,
        code,
      ]);
    }
    // A lone surrogate's bytes are not UTF-8: the URL itself is refused (bad_url).
    expect((await call("GET", "/v1/schedules/%ED%A0%80")).json()).toMatchObject({
      error: { code: "bad_url" },
    });
    for (const url of ["/v1/schedules/..%2F..", "/v1/schedules/a%20b", "/v1/schedules/%F0%9F%98%80"])
      expect((await call("GET", url)).json()).toMatchObject({ error: { code: "schedule_not_found" } });
    expect((await call("GET", `/v1/schedules/${"a".repeat(300)}`)).statusCode).toBe(414);
    const noType = await api.app.inject({ method: "DELETE", url: "/v1/schedules/a", headers: auth });
    expect(noType.statusCode).toBe(415);
    const anonymous = await api.app.inject({ method: "GET", url: "/v1/schedules" });
    expect(anonymous.statusCode).toBe(401);
  });
});
