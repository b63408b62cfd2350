/**
 * Instants asked for by callers (`?at=`, `createdFrom`…`endedTo`, `docket audit … --at`), parsed
 * by parseInstant.
 *
 * Invariant: an ISO 8601 time is accepted only if the calendar has the day and hour it writes,
 * and then it is exactly the instant it writes — never the next day or month (Date.parse alone
 * reads 2023-02-29 as 2023-03-01 and T24:00 as the next midnight).
 */
import fc from "fast-check";
import * as Result from "effect/Result";
import { describe, expect, it } from "vitest";
import { parseInstant } from "../src/engine/audit/index.ts";

const pad = (n: number, width: number) => String(n).padStart(width, "0");

describe("parseInstant and the calendar", () => {
  it("an ISO time is accepted only if its day and hour exist, and then names exactly that instant", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 0, max: 59 }),
        fc.constantFrom("", "T", "TZ", "T+01:00"),
        (year, month, day, hour, minute, form) => {
          const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
          const time = `T${pad(hour, 2)}:${pad(minute, 2)}`;
          const text =
            form === ""
              ? date
              : form === "T"
                ? `${date}${time}Z`
                : form === "TZ"
                  ? `${date}${time}:00.000Z`
                  : `${date}${time}+01:00`;
          // The oracle: the UTC fields written, set one by one, read back unchanged.
          const expected = new Date(0);
          expected.setUTCFullYear(year, month - 1, day);
          expected.setUTCHours(form === "" ? 0 : hour, form === "" ? 0 : minute, 0, 0);
          const real =
            expected.getUTCFullYear() === year &&
            expected.getUTCMonth() === month - 1 &&
            expected.getUTCDate() === day &&
            (form === "" || hour <= 23);
          const parsed = parseInstant(text);
          expect(Result.isSuccess(parsed), text).toBe(real);
          if (Result.isSuccess(parsed))
            expect(parsed.success, text).toBe(expected.getTime() - (form === "T+01:00" ? 3_600_000 : 0));
        },
      ),
    );
  });
});
