/**
 * Schedules from the three ways in (ADR 0037): the typed client against a listening API, the
 * `docket schedules` CLI as a real process, and the in-process library with its own scheduler
 * firing a tick whose job a test worker could run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocketApiError, DocketClient } from "../src/client/index.ts";
import { connect } from "../src/library/index.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { runDocket } from "./support/docket.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

let redis: TestRedis;
let api: TestApi;
let client: DocketClient;
let address: string;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url, { token: "sched-client" });
  address = await api.app.listen({ port: 0, host: "127.0.0.1" });
  client = new DocketClient({ baseUrl: address, token: "sched-client", actor: "client-test" });
});
afterAll(async () => {
  await api.stop();
  await redis.stop();
});

describe("schedules through the client, the CLI and the library", () => {
  it("the typed client creates, reads, changes, pauses, resumes and removes; errors carry codes", async () => {
    const created = await client.createSchedule({ name: "hourly", cron: "0 * * * *", job: { type: "echo" } });
    expect(created).toMatchObject({ name: "hourly", status: "active", timezone: "UTC" });
    expect((await client.schedules()).map((s) => s.name)).toContain("hourly");
    expect((await client.schedule("hourly")).recent).toEqual([]);
    expect(await client.updateSchedule("hourly", { timezone: "Asia/Tokyo" })).toMatchObject({
      timezone: "Asia/Tokyo",
    });
    expect((await client.pauseSchedule("hourly")).status).toBe("paused");
    expect((await client.resumeSchedule("hourly")).status).toBe("active");
    const history = await client.scheduleHistory("hourly");
    expect(history).toMatchObject({ verified: true });
    expect(history.events).toHaveLength(4);
    expect((await client.removeSchedule("hourly")).status).toBe("removed");
    const refused = await client
      .createSchedule({ name: "bad", cron: "0 0 31 2 *", job: { type: "echo" } })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(DocketApiError);
    expect(refused).toMatchObject({ status: 400, code: "invalid_cron" });
    expect(await client.schedule("hourly").catch((e) => e)).toMatchObject({
      status: 404,
      code: "schedule_not_found",
    });
  });

  it("docket schedules create, list, show --verify, update, pause, resume and remove", async () => {
    const env = { DOCKET_API_URL: address, DOCKET_API_TOKEN: "sched-client" };
    const docket = (...args: Array<string>) => runDocket(["schedules", ...args], { env });
    const created = await docket(
      "create",
      "cli-daily",
      "--cron",
      "30 2 * * *",
      "--timezone",
      "Europe/Berlin",
      "--type",
      "report",
      "--payload",
      '{"day":1}',
      "--overlap",
      "skip",
    );
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^cli-daily active next \d{4}-/);
    const listed = await docket("list");
    expect(listed.stdout).toMatch(/cli-daily\s+active\s+30 2 \* \* \*\s+Europe\/Berlin/);
    const shown = await docket("show", "cli-daily", "--json");
    expect(JSON.parse(shown.stdout)).toMatchObject({
      name: "cli-daily",
      overlap: "skip",
      job: { type: "report", payload: { day: 1 } },
    });
    expect((await docket("update", "cli-daily", "--catch-up", "all", "--catch-up-max", "5")).status).toBe(0);
    expect((await docket("pause", "cli-daily")).stdout).toContain("cli-daily paused");
    expect((await docket("resume", "cli-daily")).stdout).toContain("cli-daily active");
    const verified = await docket("show", "cli-daily", "--verify");
    expect([verified.status, verified.stdout.trim()]).toEqual([0, "verified: 4 events"]);
    expect((await docket("remove", "cli-daily")).stdout).toContain("cli-daily removed");
    const bad = await docket("create", "x", "--cron", "not cron", "--type", "t");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("invalid_cron");
    const usage = await docket("create", "x", "--type", "t");
    expect([usage.status, usage.stderr]).toEqual([2, expect.stringContaining("--cron is required")]);
  }, 60_000);

  it("the library creates a schedule and its own scheduler fires it", async () => {
    const docket = await connect({ redisUrl: redis.url, prefix: api.prefix, actor: "lib-test" });
    try {
      const view = await docket.schedules.create({
        name: "lib-every-second",
        cron: "* * * * * *",
        job: { type: "echo" },
      });
      expect(view.status).toBe("active");
      docket.runScheduler({ intervalMs: 50 });
      const fired = await waitFor(
        async () => {
          const current = await docket.schedules.get("lib-every-second");
          return current.fired >= 1 ? current : undefined;
        },
        "the library's scheduler to fire a tick",
        5_000,
      );
      const jobId = fired.recent?.[0]?.jobId;
      expect(jobId).toBeDefined();
      expect((await docket.get(jobId as string)).type).toBe("echo");
      await docket.schedules.remove("lib-every-second");
      expect((await docket.schedules.list()).map((s) => s.name)).not.toContain("lib-every-second");
    } finally {
      await docket.close();
    }
  });
});
