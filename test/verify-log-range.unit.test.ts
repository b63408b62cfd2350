/** Where verifying one job starts reading its shard log: just before the job's first entry. */
import { describe, expect, it } from "vitest";
import { entryIdBefore } from "../src/engine/audit/verify/store.ts";

describe("entryIdBefore", () => {
  it("steps back one sequence number within a millisecond", () => {
    expect(entryIdBefore("1795453715046-3")).toBe("1795453715046-2");
  });

  it("steps back to the last possible id of the previous millisecond from sequence 0", () => {
    expect(entryIdBefore("1795453715046-0")).toBe("1795453715045-18446744073709551615");
  });

  it("starts from the beginning when there is no usable id", () => {
    for (const id of ["0-0", null, undefined, "", "junk", "12-", "-3", "1.5-0"])
      expect(entryIdBefore(id)).toBe("0-0");
  });
});
