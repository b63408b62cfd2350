import { describe, expect, it } from "vitest";
import { readEnv } from "../src/cli/config.ts";
import {
  checkedRateLimits,
  DeliverySettingError,
  NO_CREDITS,
  parseFairness,
  parseRateLimits,
  sharePicks,
} from "../src/domain/index.ts";

describe("DOCKET_RATE_LIMITS", () => {
  it("reads queue and type limits with their windows", () => {
    expect(parseRateLimits("queue:emails=100/1s, type:sms=10/1m,")).toEqual([
      { scope: "queue", name: "emails", count: 100, windowMs: 1_000 },
      { scope: "type", name: "sms", count: 10, windowMs: 60_000 },
    ]);
    expect(parseRateLimits("")).toEqual([]);
  });

  it.each([
    ["queue:emails=0/1s", /count must be a whole number from 1/],
    ["queue:emails=-1/1s", /expected comma-separated queue:<name>/],
    ["queue:emails=1.5/1s", /expected comma-separated queue:<name>/],
    ["queue:emails=99999999/1s", /expected comma-separated queue:<name>/],
    ["queue:emails=2000000/1s", /count must be a whole number/],
    ["queue:emails=10/NaN", /window must be a duration/],
    ["queue:emails=10/0s", /window must be a duration/],
    ["queue:emails=10/-1s", /window must be a duration/],
    ["queue:emails=10/99999d", /window must be a duration/],
    ["queue:emails=10/1s,queue:emails=5/1s", /limited twice/],
    ["job:emails=10/1s", /expected comma-separated queue:<name>/],
    ["queue:-bad=10/1s", /is not a queue name/],
  ])("refuses %s with a message that says what is wrong", (text, message) => {
    expect(() => parseRateLimits(text)).toThrow(DeliverySettingError);
    expect(() => parseRateLimits(text)).toThrow(message);
  });

  it("refuses hostile limits given as data (NaN, Infinity, 0, negative, fractional, huge windows)", () => {
    for (const windowMs of [Number.NaN, Number.POSITIVE_INFINITY, 0, -1, 0.5, 2 ** 60])
      expect(() => checkedRateLimits([{ scope: "queue", name: "q", count: 1, windowMs }])).toThrow(
        DeliverySettingError,
      );
    for (const count of [Number.NaN, 0, -3, 1.5, 10 ** 9])
      expect(() => checkedRateLimits([{ scope: "type", name: "t", count, windowMs: 1000 }])).toThrow(
        DeliverySettingError,
      );
  });

  it("a worker refuses a bad setting at start-up, naming the variable", () => {
    expect(() => readEnv({ DOCKET_RATE_LIMITS: "queue:emails=0/1s" })).toThrow(
      /invalid DOCKET_RATE_LIMITS="queue:emails=0\/1s": rate limit queue:emails: the count must be/,
    );
    expect(() => readEnv({ DOCKET_FAIRNESS: "8:4:2" })).toThrow(/invalid DOCKET_FAIRNESS="8:4:2"/);
    expect(
      readEnv({ DOCKET_RATE_LIMITS: "type:sms=10/1m", DOCKET_FAIRNESS: "8:4:2:1" }).worker.delivery,
    ).toEqual({
      rateLimits: [{ scope: "type", name: "sms", count: 10, windowMs: 60_000 }],
      fairness: { kind: "weighted", weights: { critical: 8, high: 4, normal: 2, low: 1 } },
    });
    expect(readEnv({}).worker.delivery).toEqual({ rateLimits: [], fairness: { kind: "strict" } });
  });
});

describe("DOCKET_FAIRNESS", () => {
  it("is strict or four weights from 1 to 1000", () => {
    expect(parseFairness("strict")).toEqual({ kind: "strict" });
    for (const bad of ["", "8:4:2:0", "8:4:2:1:1", "a:b:c:d", "8:4:2:1001", "NaN:1:1:1", "-1:1:1:1"])
      expect(() => parseFairness(bad)).toThrow(DeliverySettingError);
  });

  it("shares picks by smooth weighted round robin: each level gets its weight per round, low within every 15 picks", () => {
    const weights = { critical: 8, high: 4, normal: 2, low: 1 };
    let credits = NO_CREDITS;
    const picks: Array<string> = [];
    for (let i = 0; i < 30; i++) {
      const shared = sharePicks(weights, credits, 1);
      credits = shared.credits;
      picks.push(...Object.entries(shared.shares).flatMap(([level, n]) => Array<string>(n).fill(level)));
    }
    for (const round of [picks.slice(0, 15), picks.slice(15)])
      expect(round.filter((l) => l === "low")).toHaveLength(1);
    expect(picks.filter((l) => l === "critical")).toHaveLength(16);
    expect(sharePicks(weights, NO_CREDITS, 31).shares).toEqual({ critical: 17, high: 8, normal: 4, low: 2 });
  });
});
