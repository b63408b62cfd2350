/**
 * Exactly once across processes (ADR 0037): two `docket api` processes and a `docket worker`
 * run the scheduler against one Redis with an every-second schedule; one API is SIGKILLed
 * mid-way, and later Redis is killed for two seconds and restarted (AOF on): the ticks of the
 * outage fire late, once. Every tick from the first fired to the last is recorded once, in
 * order, and submitted one job: as many tick idempotency keys as fired events, each naming the
 * job its event names.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScheduleEnvelope } from "../src/domain/index.ts";
import { killLeftovers, spawnDocket, type DocketProcess } from "./support/docket.ts";
import { apiActor, makeEngine, type TestEngine } from "./support/engine.ts";
import { tempDbPath } from "./support/projection.ts";
import { freePort, keysMatching, startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

let redis: TestRedis;
let engine: TestEngine;

beforeAll(async () => {
  // Its own server even when REDIS_URL is given: the test restarts it.
  redis = await startRedis({ appendOnly: true, own: true });
  engine = await makeEngine(redis.url);
});
afterAll(async () => {
  killLeftovers();
  await engine.close();
  await redis.stop();
});

const ports = new Map<DocketProcess, number>();

const spawnApi = async (): Promise<DocketProcess> => {
  const port = await freePort();
  const api = spawnDocket(["api"], {
    env: {
      REDIS_URL: redis.url,
      DOCKET_PREFIX: engine.prefix,
      DOCKET_DB: tempDbPath(),
      PORT: String(port),
      DOCKET_ARCHIVER: "off",
      DOCKET_SCHEDULER_INTERVAL_MS: "100",
    },
  });
  await api.waitForOutput("API listening on", "docket api to listen");
  ports.set(api, port);
  return api;
};

const spawnWorker = async (): Promise<DocketProcess> => {
  const worker = spawnDocket(["worker", "--queues", "default"], {
    env: { REDIS_URL: redis.url, DOCKET_PREFIX: engine.prefix, DOCKET_SCHEDULER_INTERVAL_MS: "100" },
  });
  await worker.waitForOutput("on queues default", "docket worker to start");
  return worker;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const fired = async (): Promise<ReadonlyArray<ScheduleEnvelope & { type: "ScheduleFired" }>> =>
  (await engine.schedules.history("every-second")).events.filter(
    (e): e is ScheduleEnvelope & { type: "ScheduleFired" } =>
      (e as ScheduleEnvelope).type === "ScheduleFired",
  );

describe("schedules across processes", () => {
  it("every tick fires exactly once with three scheduler processes (API, API, worker), one SIGKILLed, and a Redis restart", async () => {
    const apis = await Promise.all([spawnApi(), spawnApi(), spawnWorker()]);
    await engine.schedules.create(
      {
        name: "every-second",
        cron: "* * * * * *",
        job: { type: "tick", queue: "scheduled" },
        catchUp: "all",
        catchUpMax: 100,
      },
      apiActor,
    );
    await waitFor(async () => (await fired()).length >= 4, "the first ticks to fire", 10_000);
    const killed = apis[0] as DocketProcess;
    killed.child.kill("SIGKILL");
    await killed.exited;
    await sleep(3_000);
    const beforeRestart = (await fired()).length;
    // Redis down for two seconds: the ticks of that time fire late, once Redis is back.
    redis.kill();
    await sleep(2_000);
    await redis.restart();
    await waitFor(
      async () => {
        try {
          return (await fired()).length >= beforeRestart + 6;
        } catch {
          return false;
        }
      },
      "ticks to fire after the Redis restart",
      20_000,
    );
    // The surviving API's metrics count what its scheduler did.
    const metrics = await (
      await fetch(`http://127.0.0.1:${ports.get(apis[1] as DocketProcess)}/metrics`)
    ).text();
    expect(metrics).toMatch(/^docket_schedule_ticks_fired \d+$/m);
    expect(metrics).toMatch(/^docket_scheduler_failed_passes \d+$/m);
    for (const api of apis.slice(1)) api.child.kill("SIGTERM");
    expect(await Promise.all(apis.slice(1).map((api) => api.exited))).toEqual([0, 0]);

    const events = await fired();
    const ticks = events.map((e) => Date.parse(e.data.tick));
    expect(ticks.length).toBeGreaterThanOrEqual(12);
    // Contiguous seconds from the first tick to the last: none lost, none twice.
    const first = ticks[0] as number;
    expect(ticks).toEqual(ticks.map((_, i) => first + i * 1000));
    expect(new Set(events.map((e) => e.data.jobId)).size).toBe(events.length);
    // One job per tick: the tick idempotency keys are exactly the fired ones.
    const keys = await keysMatching(engine.client, `${engine.prefix}:*:idem:schedule:every-second:*`);
    expect(keys).toHaveLength(events.length);
    const byKey = new Map(
      await Promise.all(
        keys.map(async (key) => [key.split(":").at(-1), await engine.client.get(key)] as const),
      ),
    );
    for (const event of events) expect(byKey.get(String(Date.parse(event.data.tick)))).toBe(event.data.jobId);
    const { report } = await engine.schedules.history("every-second");
    expect(report.ok).toBe(true);
    // The fired events name the processes that fired them: more than one took part.
    const firers = new Set(events.map((e) => e.actor.id));
    expect(firers.size).toBeGreaterThan(1);
    // Measured figures for the report (ADR 0037): ticks, processes that fired, lateness.
    const lateness = events.map((e) => Date.parse(e.at) - Date.parse(e.data.tick));
    console.info(
      `schedules e2e: ${events.length} ticks fired once each by ${firers.size} processes ` +
        `(${[...firers].map((f) => f.split("-")[0]).join(", ")}); lateness ms median ` +
        `${[...lateness].sort((a, b) => a - b)[Math.floor(lateness.length / 2)]}, max ${Math.max(...lateness)}`,
    );
  }, 90_000);
});
