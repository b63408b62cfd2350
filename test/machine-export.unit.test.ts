import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { expectedDiagramBlock, extractDiagram } from "../scripts/readme-diagram.ts";
import { describeMachine, JOB_STATES, machineToMermaid, machineTransitions } from "../src/domain/index.ts";

describe("machine export", () => {
  it("the README's lifecycle diagram is the one generated from the machine (run `npm run diagram`)", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(extractDiagram(readme)).toBe(expectedDiagramBlock(machineToMermaid()));
  });

  it("the JSON description lists every state, the terminal ones, and guarded transitions", () => {
    const description = describeMachine();
    expect(description.initial).toBe("pending");
    expect(description.states.map((s) => s.name)).toEqual([...JOB_STATES]);
    expect(
      description.states
        .filter((s) => s.terminal)
        .map((s) => s.name)
        .sort(),
    ).toEqual(["cancelled", "completed", "dead_letter"]);
    expect(machineTransitions()).toContainEqual({
      source: "dead_letter",
      event: "JobRetried",
      target: "queued",
      guard: "grantsAttempts",
      actions: ["grantAttempts"],
    });
    expect(JSON.parse(JSON.stringify(description))).toEqual(description);
  });

  it("the Mermaid diagram has one edge per transition", () => {
    const edges = machineToMermaid()
      .split("\n")
      .filter((line) => line.includes("-->") && !line.includes("[*]"));
    expect(edges).toHaveLength(machineTransitions().length);
  });
});
