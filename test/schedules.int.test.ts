/**
 * Schedules on a real Redis with a manual clock (ADR 0037): a tick fires once and submits one
 * job with the tick's idempotency key; schedulers racing for the same ticks record each once;
 * the catch-up policies after a long outage; overlap "skip"; pause, resume, update, remove and
 * re-create; the history verifies (chain and machine) and a tampered one does not.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScheduleEnvelope } from "../src/domain/index.ts";
import { Scheduler, ScheduleService, type ScheduleStore, tickKey } from "../src/engine/schedule/index.ts";
import { Keys } from "../src/infra/redis/keys.ts";
import { connect, type RedisClient, whenReady } from "../src/infra/redis/connection.ts";
import { RedisScheduleStore } from "../src/infra/redis/redis-schedule-store.ts";
import { composeEngine, type Engine } from "../src/main.ts";
import { apiActor } from "./support/engine.ts";
import { ManualClock } from "./support/manual-clock.ts";
import { startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";

let redis: TestRedis;
/** Connections as separate processes would have (a single Redis or a cluster: REDIS_URL). */
const clients: Array<RedisClient> = [];
let turn = 0;

const engineAt = (clock: ManualClock, prefix: string): Engine => {
  const client = must(clients[turn++ % clients.length]);
  lastClient = client;
  return composeEngine({ client, prefix, shards: 1, clock });
};
/** The connection the latest engineAt gave its engine. */
let lastClient: RedisClient | undefined;

/** The value, or a failed test when it is missing. */
const must = <T>(value: T | undefined): T => {
  if (value === undefined) throw new Error("expected a value");
  return value;
};

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const job = { type: "report", payload: { n: 1 } };

beforeAll(async () => {
  redis = await startRedis();
  for (let i = 0; i < 4; i++) clients.push(await whenReady(connect({ url: redis.url })));
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis.stop();
});

const firedOf = (events: ReadonlyArray<unknown>) =>
  (events as ReadonlyArray<ScheduleEnvelope>).filter((e) => e.type === "ScheduleFired");
const skippedOf = (events: ReadonlyArray<unknown>) =>
  (events as ReadonlyArray<ScheduleEnvelope>).filter((e) => e.type === "ScheduleSkipped");

describe("schedules", () => {
  it("each due tick fires once, submitting one job keyed by the tick, and the history verifies", async () => {
    const clock = new ManualClock(T0);
    const engine = engineAt(clock, uniquePrefix());
    const created = await engine.schedules.create(
      { name: "every-10s", cron: "*/10 * * * * *", job },
      apiActor,
    );
    expect(created.nextFireTimes.slice(0, 2)).toEqual([
      "2026-01-01T00:00:10.000Z",
      "2026-01-01T00:00:20.000Z",
    ]);
    const scheduler = engine.scheduler({ id: "s1" });
    expect(await scheduler.runOnce()).toEqual({ fired: 0, skipped: 0 });
    clock.advance(25_000);
    expect(await scheduler.runOnce()).toEqual({ fired: 2, skipped: 0 });
    expect(await scheduler.runOnce()).toEqual({ fired: 0, skipped: 0 });
    const { events, report } = await engine.schedules.history("every-10s");
    expect(report.ok).toBe(true);
    const fired = firedOf(events);
    expect(fired.map((e) => e.data.tick)).toEqual(["2026-01-01T00:00:10.000Z", "2026-01-01T00:00:20.000Z"]);
    for (const event of fired) {
      const [submitted] = await engine.jobs.events(event.data.jobId);
      expect(submitted?.type).toBe("JobSubmitted");
      expect(submitted?.data).toMatchObject({
        spec: {
          jobType: "report",
          idempotencyKey: `schedule:every-10s:${T0}:${Date.parse(event.data.tick)}`,
        },
      });
    }
    const view = await engine.schedules.view("every-10s");
    expect(view.fired).toBe(2);
    expect(view.recent?.map((r) => r.tick)).toEqual(["2026-01-01T00:00:20.000Z", "2026-01-01T00:00:10.000Z"]);
    expect(view.nextFireTimes[0]).toBe("2026-01-01T00:00:30.000Z");
  });

  it("schedulers racing for the same ticks record each tick once and submit one job per tick", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix();
    const engines = [engineAt(clock, prefix), engineAt(clock, prefix), engineAt(clock, prefix)];
    await must(engines[0]).schedules.create(
      { name: "race", cron: "* * * * * *", job, catchUp: "all" },
      apiActor,
    );
    const schedulers = engines.map((engine, i) => engine.scheduler({ id: `s${i}` }));
    for (let round = 0; round < 20; round++) {
      clock.advance(round % 3 === 0 ? 2_500 : 700);
      await Promise.all(schedulers.map((s) => s.runOnce()));
    }
    const { events, report } = await must(engines[1]).schedules.history("race");
    expect(report.ok).toBe(true);
    const ticks = firedOf(events).map((e) => Date.parse(e.data.tick));
    const expected = Array.from(
      { length: Math.floor((clock.now() - T0) / 1000) },
      (_, i) => T0 + (i + 1) * 1000,
    );
    expect(ticks).toEqual(expected);
    const jobIds = new Set(firedOf(events).map((e) => e.data.jobId));
    expect(jobIds.size).toBe(ticks.length);
  });

  it.each([
    ["none", 0, 1],
    ["last", 1, 1],
    ["all", 3, 1],
  ] as const)(
    "after an outage, catchUp %s fires %i missed ticks and records the rest as one skip",
    async (catchUp, firedLate, skips) => {
      const clock = new ManualClock(T0);
      const engine = engineAt(clock, uniquePrefix());
      await engine.schedules.create(
        { name: "minutely", cron: "0 * * * * *", job, catchUp, catchUpMax: 3 },
        apiActor,
      );
      // Down for 10 minutes: ticks 00:01..00:10 are due; the grace period (30 s) covers none.
      clock.advance(10 * 60_000 + 45_000);
      const scheduler = engine.scheduler({ id: "s" });
      await scheduler.runOnce();
      const { events, report } = await engine.schedules.history("minutely");
      expect(report.ok).toBe(true);
      const skipped = skippedOf(events);
      expect(skipped).toHaveLength(skips);
      expect(skipped[0]?.data).toMatchObject({ reason: "missed", count: 10 - firedLate });
      expect(firedOf(events).map((e) => e.data.tick)).toEqual(
        Array.from({ length: firedLate }, (_, i) =>
          new Date(T0 + (10 - firedLate + i + 1) * 60_000).toISOString(),
        ),
      );
      // On time again: the next tick fires.
      clock.advance(20_000);
      expect((await scheduler.runOnce()).fired).toBe(1);
    },
  );

  it("overlap skip records a skipped tick while the last job has not ended", async () => {
    const clock = new ManualClock(T0);
    const engine = engineAt(clock, uniquePrefix());
    await engine.schedules.create(
      { name: "no-overlap", cron: "*/5 * * * * *", job, overlap: "skip" },
      apiActor,
    );
    const scheduler = engine.scheduler({ id: "s" });
    clock.advance(5_000);
    await scheduler.runOnce();
    clock.advance(5_000);
    await scheduler.runOnce();
    const first = must(firedOf((await engine.schedules.history("no-overlap")).events)[0]);
    await engine.jobs.cancel(first.data.jobId, apiActor, "done with it");
    clock.advance(5_000);
    await scheduler.runOnce();
    const { events } = await engine.schedules.history("no-overlap");
    expect(events.map((e) => (e as ScheduleEnvelope).type)).toEqual([
      "ScheduleCreated",
      "ScheduleFired",
      "ScheduleSkipped",
      "ScheduleFired",
    ]);
    expect(skippedOf(events)[0]?.data).toMatchObject({
      reason: "overlap",
      count: 1,
      jobId: first.data.jobId,
    });
  });

  it("a paused schedule does not fire and does not catch up its paused ticks when resumed", async () => {
    const clock = new ManualClock(T0);
    const engine = engineAt(clock, uniquePrefix());
    await engine.schedules.create({ name: "pausable", cron: "* * * * * *", job, catchUp: "all" }, apiActor);
    const scheduler = engine.scheduler({ id: "s" });
    await engine.schedules.pause("pausable", apiActor);
    await expect(engine.schedules.pause("pausable", apiActor)).rejects.toMatchObject({
      _tag: "ScheduleRefused",
    });
    clock.advance(10_000);
    expect(await scheduler.runOnce()).toEqual({ fired: 0, skipped: 0 });
    expect((await engine.schedules.view("pausable")).nextFireTimes).toEqual([]);
    await engine.schedules.resume("pausable", apiActor);
    clock.advance(2_000);
    expect(await scheduler.runOnce()).toEqual({ fired: 2, skipped: 0 });
  });

  it("update changes the cron from now on; remove frees the name for a new schedule with its own jobs", async () => {
    const clock = new ManualClock(T0);
    const engine = engineAt(clock, uniquePrefix());
    await engine.schedules.create({ name: "changing", cron: "0 0 * * * *", job }, apiActor);
    const updated = await engine.schedules.update("changing", { cron: "*/30 * * * * *" }, apiActor);
    expect(updated.nextFireTimes[0]).toBe("2026-01-01T00:00:30.000Z");
    await expect(engine.schedules.update("changing", { cron: "61 * * * *" }, apiActor)).rejects.toMatchObject(
      {
        _tag: "InvalidSchedule",
        code: "invalid_cron",
      },
    );
    const scheduler = engine.scheduler({ id: "s" });
    clock.advance(30_000);
    await scheduler.runOnce();
    const before = must(firedOf((await engine.schedules.history("changing")).events)[0]);
    await engine.schedules.remove("changing", apiActor);
    await expect(engine.schedules.view("changing")).rejects.toMatchObject({ _tag: "ScheduleNotFound" });
    expect(await engine.schedules.list()).toEqual([]);
    await engine.schedules.create({ name: "changing", cron: "*/30 * * * * *", job }, apiActor);
    clock.advance(30_000);
    await scheduler.runOnce();
    const { events, report } = await engine.schedules.history("changing");
    expect(report.ok).toBe(true);
    expect(events).toHaveLength(2);
    const after = must(firedOf(events)[0]);
    expect(after.data.jobId).not.toBe(before.data.jobId);
  });

  it("refuses invalid names, crons, zones and job specs with a typed error", async () => {
    const engine = engineAt(new ManualClock(T0), uniquePrefix());
    const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
      [{ name: "bad name", cron: "* * * * *", job }, "invalid_schedule"],
      [{ name: "x", cron: "not a cron", job }, "invalid_cron"],
      [{ name: "x", cron: "0 0 30 2 *", job }, "invalid_cron"],
      [{ name: "x", cron: "* * * * *", timezone: "Mars/Olympus", job }, "invalid_timezone"],
      [{ name: "x", cron: "* * * * *", job: { type: "a", maxAttempts: 0 } }, "invalid_schedule"],
      [{ name: "x", cron: "* * * * *", job: { ...job, idempotencyKey: "k" } }, "invalid_schedule"],
    ];
    for (const [input, code] of cases)
      await expect(engine.schedules.create(input, apiActor)).rejects.toMatchObject({ code });
  });

  it("a tampered history fails verification", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix();
    const engine = engineAt(clock, prefix);
    await engine.schedules.create({ name: "tamper", cron: "* * * * * *", job }, apiActor);
    clock.advance(3_000);
    await engine.scheduler({ id: "s" }).runOnce();
    const key = `${prefix}:{schedules}:schedule-events:tamper`;
    const client = must(lastClient);
    const [id, fields] = must((await client.xrange(key, "-", "+"))[2]);
    const env = JSON.parse(must(fields[fields.indexOf("env") + 1])) as { data: { jobId: string } };
    env.data.jobId = "someone-else";
    await client.xdel(key, id);
    await client.xadd(key, "*", "seq", "3", "type", "ScheduleFired", "env", JSON.stringify(env));
    const { report } = await engine.schedules.history("tamper");
    expect(report).toMatchObject({ ok: false });
  });

  it("a schedule altered in Redis to a cron croner refuses neither stops the others firing nor fails its reads", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix();
    const engine = engineAt(clock, prefix);
    await engine.schedules.create({ name: "healthy", cron: "* * * * * *", job }, apiActor);
    await engine.schedules.create({ name: "altered", cron: "* * * * * *", job }, apiActor);
    const client = must(lastClient);
    const head = `${prefix}:{schedules}:schedule:altered`;
    const state = JSON.parse(must((await client.hget(head, "state")) ?? undefined)) as {
      context: { definition: { cron: string } };
    };
    state.context.definition.cron = "not a cron";
    await client.hset(head, "state", JSON.stringify(state));
    clock.advance(2_000);
    const scheduler = engine.scheduler({ id: "s" });
    await expect(scheduler.runOnce()).rejects.toThrow();
    expect((await engine.schedules.view("healthy")).fired).toBe(2);
    expect(await engine.schedules.view("altered")).toMatchObject({ fired: 0, nextFireTimes: [] });
  });

  it("a tick whose record loses to an operator's pause has its submitted job cancelled, saying why", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix();
    const engine = engineAt(clock, prefix);
    await engine.schedules.create({ name: "raced", cron: "* * * * * *", job }, apiActor);
    const client = must(lastClient);
    const store = new RedisScheduleStore(client, new Keys(prefix, 1));
    // The pause lands between the scheduler's submit and its append of ScheduleFired.
    const racing: ScheduleStore = {
      load: (name) => store.load(name),
      count: () => store.count(),
      list: () => store.list(),
      history: (name) => store.history(name),
      append: async (expected, envelopes, state) => {
        if (envelopes[0]?.type === "ScheduleFired") await engine.schedules.pause("raced", apiActor);
        return store.append(expected, envelopes, state);
      },
    };
    const scheduler = new Scheduler({ store: racing, jobs: engine.jobs, clock, id: "racer" });
    clock.advance(1_000);
    expect(await scheduler.runOnce()).toEqual({ fired: 0, skipped: 0 });
    const { events } = await engine.schedules.history("raced");
    expect(events.map((e) => (e as ScheduleEnvelope).type)).toEqual(["ScheduleCreated", "SchedulePaused"]);
    const key = `${prefix}:{0}:idem:${tickKey("raced", new Date(T0).toISOString(), T0 + 1_000)}`;
    const jobId = must((await client.get(key)) ?? undefined);
    const jobEvents = await engine.jobs.events(jobId);
    expect(jobEvents.at(-1)).toMatchObject({
      type: "JobCancelled",
      actor: { kind: "scheduler", id: "racer" },
      data: { reason: expect.stringContaining("changed before its tick") },
    });
  });

  it("refuses a schedule beyond the deployment's limit with a typed error, and accepts one once another is removed", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix();
    const client = must(lastClient);
    const service = new ScheduleService(new RedisScheduleStore(client, new Keys(prefix, 1)), clock, 2);
    await service.create({ name: "one", cron: "0 * * * *", job }, apiActor);
    await service.create({ name: "two", cron: "0 * * * *", job }, apiActor);
    await expect(service.create({ name: "three", cron: "0 * * * *", job }, apiActor)).rejects.toMatchObject({
      _tag: "ScheduleLimitReached",
      limit: 2,
    });
    await service.remove("one", apiActor);
    expect((await service.create({ name: "three", cron: "0 * * * *", job }, apiActor)).status).toBe("active");
  });
});
