/** `docket jobs tree` / `jobs flow`: a job and its dependencies as an indented tree (ADR 0042). */
import { describe, expect, it } from "vitest";
import { jobTree } from "../src/cli/render/jobs.ts";

describe("jobTree", () => {
  it("draws the parent, its children with their policy and recorded end, and theirs, indented", () => {
    const text = jobTree({
      id: "p",
      type: "report",
      status: "waiting",
      dependencies: [
        {
          id: "a",
          type: "fetch",
          status: "completed",
          onFailure: "fail",
          child: true,
          ended: "completed",
          dependencies: [],
        },
        {
          id: "b",
          type: "merge",
          status: "waiting",
          onFailure: "ignore",
          child: true,
          ended: null,
          dependencies: [
            {
              id: "c",
              type: "fetch",
              status: null,
              onFailure: "fail",
              child: false,
              ended: null,
              dependencies: [],
              truncated: true,
            },
          ],
        },
      ],
    });
    expect(text.split("\n")).toEqual([
      "p report waiting",
      "├─ a fetch completed [child, on failure fail, recorded completed]",
      "└─ b merge waiting [child, on failure ignore]",
      "   └─ c fetch (left Redis) [on failure fail] …",
    ]);
  });
});
