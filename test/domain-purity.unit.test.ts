/**
 * src/domain must stay pure: no clock, no randomness, no timers, no I/O. Import rules are
 * enforced by dependency-cruiser; this catches the globals it cannot see.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createTestModel } from "xstate/graph";
import { jobMachine, scheduleMachine } from "../src/domain/index.ts";

const domainDir = new URL("../src/domain/", import.meta.url);
const forbidden: ReadonlyArray<readonly [RegExp, string]> = [
  [/Date\.now\s*\(/, "reads the clock"],
  [/new Date\(\s*\)/, "reads the clock"],
  [/performance\.now/, "reads the clock"],
  [/Math\.random/, "uses randomness"],
  [/randomUUID|randomBytes|getRandomValues/, "uses randomness"],
  [/\bset(Timeout|Interval|Immediate)\s*\(/, "uses timers"],
  [/\bprocess\.|\bfetch\s*\(|\bconsole\./, "does I/O"],
  [/\binvoke\s*:|\bafter\s*:|fromPromise|fromCallback/, "gives the machine effects"],
];

describe("domain purity", () => {
  it("no file in src/domain reads a clock, draws randomness, sets timers or does I/O", () => {
    const offences: Array<string> = [];
    for (const file of readdirSync(domainDir)) {
      const lines = readFileSync(new URL(file, domainDir), "utf8").split("\n");
      lines.forEach((line, index) => {
        const code = line.replace(/\/\/.*$|^\s*\*.*$|^\s*\/\*\*.*$/, "");
        for (const [pattern, what] of forbidden)
          if (pattern.test(code)) offences.push(`${file}:${index + 1} ${what}: ${line.trim()}`);
      });
    }
    expect(offences).toEqual([]);
  });

  it("the machine has no invokes or delays (xstate's test model accepts it)", () => {
    expect(() => createTestModel(jobMachine)).not.toThrow();
  });

  it("the schedule machine has no invokes or delays either", () => {
    expect(() => createTestModel(scheduleMachine)).not.toThrow();
  });
});
