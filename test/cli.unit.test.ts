/** The CLI's small pure parts: "did you mean", the Redis retry pauses, repeat-limited error lines. */
import { describe, expect, it } from "vitest";
import type { Log } from "../src/cli/log.ts";
import { pino } from "pino";
import { repeatLimited } from "../src/cli/log.ts";
import { retryDelayMs } from "../src/cli/redis-wait.ts";
import { editDistance, suggest } from "../src/cli/suggest.ts";

const NAMES = [
  "start",
  "api",
  "worker",
  "jobs submit",
  "jobs list",
  "jobs get",
  "workers",
  "audit verify",
  "machine",
];

describe("did you mean", () => {
  it("counts insertions, deletions, substitutions and a swap of neighbours as one edit each", () => {
    expect(editDistance("start", "start")).toBe(0);
    expect(editDistance("strat", "start")).toBe(1);
    expect(editDistance("machin", "machine")).toBe(1);
    expect(editDistance("wroker", "worker")).toBe(1);
    expect(editDistance("", "api")).toBe(3);
  });

  it("suggests the closest commands, a lone last word, and nothing for a word far from all", () => {
    expect(suggest(["strat"], NAMES)).toEqual(["start"]);
    expect(suggest(["jobs", "lst"], NAMES)).toEqual(["jobs list"]);
    expect(suggest(["jbos", "list"], NAMES)).toEqual(["jobs list"]);
    expect(suggest(["verify"], NAMES)).toEqual(["audit verify"]);
    expect(suggest(["frobnicate"], NAMES)).toEqual([]);
  });
});

describe("waiting for Redis", () => {
  it("pauses 1, 2, 4, 8 s, then every 10 s", () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(retryDelayMs)).toEqual([
      1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000,
    ]);
  });
});

describe("repeat-limited error lines", () => {
  const recorder = () => {
    const lines: Array<string> = [];
    const log: Log = {
      info: (m) => lines.push(m),
      warn: (m) => lines.push(m),
      error: (m) => lines.push(m),
      child: () => log,
      pino: pino({ level: "silent" }),
    };
    return { log, lines };
  };

  it("prints a failure once per window however often it repeats, then says how many were held back", () => {
    const { log, lines } = recorder();
    let now = 0;
    const report = repeatLimited(log, 10_000, () => now);
    // Ten a second for a minute, as a worker's loops report a Redis that went away.
    for (; now < 60_000; now += 100) report(new Error("Redis is unavailable: Stream isn't writeable"));
    expect(lines.length).toBe(6);
    expect(lines[0]).toBe("Redis is unavailable: Stream isn't writeable");
    expect(lines[1]).toBe("Redis is unavailable: Stream isn't writeable (and 99 more like it since)");
  });

  it("treats messages differing only in numbers and ids as the same, and others apart", () => {
    const { log, lines } = recorder();
    const report = repeatLimited(log, 10_000, () => 0);
    report(new Error("job 0193a3b0-7c2e-7000-8000-000000000042 failed after 12 ms"));
    report(new Error("job 0193a3b0-7c2e-7000-8000-000000000043 failed after 15 ms"));
    report("a different failure");
    expect(lines).toEqual([
      "job 0193a3b0-7c2e-7000-8000-000000000042 failed after 12 ms",
      "a different failure",
    ]);
  });
});
