/**
 * Croner's answers for schedules (ADR 0037), checked against instants computed by hand, and the
 * catch-up policy as a pure function of a schedule's state and the time.
 *
 * Europe/Berlin in 2026: CET (UTC+1) until Sunday 29 March 01:00 UTC, when 02:00 local becomes
 * 03:00 (CEST, UTC+2); back to CET on Sunday 25 October at 01:00 UTC, when 03:00 local becomes
 * 02:00 again, so 02:00-02:59 happens twice.
 */
import { describe, expect, it } from "vitest";
import {
  CronTicks,
  cronProblem,
  foldSchedule,
  nextScheduleStep,
  type ScheduleEvent,
  type ScheduleDefinition,
} from "../src/domain/index.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const berlin = new CronTicks("0 30 2 * * *", "Europe/Berlin");

describe("02:30 every day in Europe/Berlin across the 2026 clock changes", () => {
  it("fires at 01:30 UTC (02:30 CET) before spring-forward and 00:30 UTC (02:30 CEST) after", () => {
    expect(berlin.upcoming(Date.UTC(2026, 2, 27, 12), 4).map(iso)).toEqual([
      "2026-03-28T01:30:00.000Z", // Saturday, CET: 02:30 - 1 h
      // Sunday 29 March: 02:30 local does not exist (02:00 jumps to 03:00). Croner fires once, at
      // the end of the gap, 03:00 CEST = 01:00 UTC: the day is not skipped.
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T00:30:00.000Z", // Monday, CEST: 02:30 - 2 h
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  it("fires once on fall-back day, at the first 02:30 (00:30 UTC, CEST), not at both", () => {
    expect(berlin.upcoming(Date.UTC(2026, 9, 23, 12), 4).map(iso)).toEqual([
      "2026-10-24T00:30:00.000Z", // Saturday, CEST: 02:30 - 2 h
      // Sunday 25 October: 02:30 CEST is 00:30 UTC and 02:30 CET is 01:30 UTC; one firing, the first.
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z", // Monday, CET: 02:30 - 1 h
      "2026-10-27T01:30:00.000Z",
    ]);
  });

  it("an hourly schedule follows real hours: 23 ticks on spring-forward day, 25 on fall-back day", () => {
    const hourly = new CronTicks("0 0 * * * *", "Europe/Berlin");
    // Local midnight to local midnight, in UTC: 23 real hours, then 25.
    expect(hourly.due(Date.UTC(2026, 2, 28, 23) - 1, Date.UTC(2026, 2, 29, 22) - 1, 100).total).toBe(23);
    expect(hourly.due(Date.UTC(2026, 9, 24, 22) - 1, Date.UTC(2026, 9, 25, 23) - 1, 100).total).toBe(25);
    // The repeated 02:00 fires both times (a wildcard hour, as Vixie cron does): 02:00 CEST = 00:00
    // UTC and 02:00 CET = 01:00 UTC; a fixed 02:30 (above) fires once.
    expect(hourly.upcoming(Date.UTC(2026, 9, 24, 21, 30), 4).map(iso)).toEqual([
      "2026-10-24T22:00:00.000Z",
      "2026-10-24T23:00:00.000Z",
      "2026-10-25T00:00:00.000Z",
      "2026-10-25T01:00:00.000Z",
    ]);
  });
});

describe("what a schedule's cron and zone may be", () => {
  it.each([
    ["* * * * * *", "UTC", undefined],
    ["30 2 * * *", "Asia/Kathmandu", undefined],
    ["0 0 29 2 *", "UTC", undefined],
    ["0 0 30 2 *", "UTC", "invalid_cron"],
    ["61 * * * *", "UTC", "invalid_cron"],
    ["* * * *", "UTC", "invalid_cron"],
    ["* * * * *", "Mars/Olympus", "invalid_timezone"],
    ["* * * * *", "\ud800", "invalid_timezone"],
    ["* * * * *", "x".repeat(65), "invalid_timezone"],
  ])("%s in %s: %s", (cron, zone, code) => {
    expect(cronProblem(cron, zone, Date.UTC(2026, 0, 1))?.code).toBe(code);
  });

  it("finds no tick after year 9999 (what a timestamp holds)", () => {
    expect(new CronTicks("* * * * * *", "UTC").next(Date.UTC(9999, 11, 31, 23, 59, 59, 500))).toBeNull();
  });
});

const definition = (overrides: Partial<ScheduleDefinition> = {}): ScheduleDefinition => ({
  cron: "0 * * * * *",
  timezone: "UTC",
  job: { type: "t" },
  overlap: "allow",
  catchUp: "none",
  catchUpMax: 3,
  ...overrides,
});
const T0 = Date.UTC(2026, 0, 1);
const actor = { kind: "client", id: "t" } as const;
const created = (d: ScheduleDefinition): ScheduleEvent => ({
  type: "ScheduleCreated",
  at: iso(T0),
  actor,
  data: { definition: d },
});
const stateOf = (events: ReadonlyArray<ScheduleEvent>) => {
  const folded = foldSchedule(events);
  if ("refused" in folded) throw new Error(`refused event ${folded.refused}`);
  return folded.state;
};

describe("the next step of a schedule (catch-up policy)", () => {
  it("fires a tick that is at most the grace period late", () => {
    expect(nextScheduleStep(stateOf([created(definition())]), T0 + 60_000 + 29_000, 30_000)).toEqual({
      kind: "fire",
      tick: T0 + 60_000,
    });
    expect(nextScheduleStep(stateOf([created(definition())]), T0 + 59_999, 30_000)).toBeNull();
  });

  it.each([
    ["none", { kind: "skip", tick: T0 + 10 * 60_000, count: 10 }],
    ["last", { kind: "skip", tick: T0 + 9 * 60_000, count: 9 }],
    ["all", { kind: "skip", tick: T0 + 7 * 60_000, count: 7 }],
  ] as const)("after ten missed minutes, %s first skips all but the ticks it keeps", (catchUp, step) => {
    const state = stateOf([created(definition({ catchUp }))]);
    expect(nextScheduleStep(state, T0 + 10 * 60_000 + 45_000, 30_000)).toEqual(step);
  });

  it("never goes back: a tick at or before the last handled one is not due again", () => {
    const state = stateOf([
      created(definition()),
      { type: "ScheduleFired", at: iso(T0 + 60_000), actor, data: { tick: iso(T0 + 60_000), jobId: "j1" } },
    ]);
    expect(nextScheduleStep(state, T0 + 60_000 + 1_000, 30_000)).toBeNull();
    expect(
      foldSchedule(
        [
          {
            type: "ScheduleFired",
            at: iso(T0 + 60_000),
            actor,
            data: { tick: iso(T0 + 60_000), jobId: "j2" },
          },
        ],
        state,
      ),
    ).toMatchObject({ refused: 0 });
  });

  it("the machine refuses what does not follow: fire while paused, resume while active, anything after remove", () => {
    const base = [created(definition())];
    const paused: ScheduleEvent = { type: "SchedulePaused", at: iso(T0), actor, data: {} };
    const fired: ScheduleEvent = {
      type: "ScheduleFired",
      at: iso(T0),
      actor,
      data: { tick: iso(T0 + 60_000), jobId: "j" },
    };
    const resumed: ScheduleEvent = { type: "ScheduleResumed", at: iso(T0), actor, data: {} };
    const removed: ScheduleEvent = { type: "ScheduleRemoved", at: iso(T0), actor, data: {} };
    expect(foldSchedule([...base, paused, fired])).toMatchObject({ refused: 2 });
    expect(foldSchedule([...base, resumed])).toMatchObject({ refused: 1 });
    expect(foldSchedule([...base, removed, resumed])).toMatchObject({ refused: 2 });
    expect(foldSchedule([fired])).toMatchObject({ refused: 0 });
    expect(stateOf([...base, paused, resumed, fired]).status).toBe("active");
  });
});
