/**
 * The pure rules of ADR 0018: text made to fit an event, thrown values turned into errors, log
 * lines and progress reports sanitised, instants bounded to what a Date holds, JSON values copied
 * safely. Each is refused or repaired, never thrown.
 */
import * as Result from "effect/Result";
import { describe, expect, it } from "vitest";
import { copyJson, fitText, MAX_DATE_MS, MAX_JSON_DEPTH } from "../src/domain/index.ts";
import { parseInstant } from "../src/engine/audit/index.ts";
import { attemptErrorOf, logLineOf, progressOf, textOf } from "../src/engine/worker/handlers.ts";

describe("fitText", () => {
  it("keeps short well-formed text as it is and repairs lone surrogates with U+FFFD", () => {
    expect(fitText("héllo 😀", 100)).toBe("héllo 😀");
    expect(fitText("a\ud800b\udfffc", 100)).toBe("a\ufffdb\ufffdc");
  });

  it("cuts long text to the limit, says how long it was, and never splits a surrogate pair", () => {
    const cut = fitText("😀".repeat(5000), 1024);
    expect(cut.length).toBeLessThanOrEqual(1024);
    expect(cut.isWellFormed()).toBe(true);
    expect(cut).toMatch(/… \[truncated from 10000 characters\]$/);
    for (let max = 30; max < 60; max++) {
      const text = fitText(`${"a".repeat(max)}${"😀".repeat(40)}`, max);
      expect(text.length).toBeLessThanOrEqual(max);
      expect(text.isWellFormed()).toBe(true);
    }
  });
});

describe("what a handler throws, logs and reports", () => {
  it("textOf never throws", () => {
    const proxy = new Proxy(
      {},
      {
        get() {
          throw new Error("trap");
        },
      },
    );
    expect(textOf(Object.create(null))).toBe("[object Object]");
    expect(textOf(Symbol("s"))).toBe("Symbol(s)");
    expect(typeof textOf(proxy)).toBe("string");
  });

  it("attemptErrorOf keeps a valid code and retryable: false, refuses an invalid code, and never throws", () => {
    expect(
      attemptErrorOf(Object.assign(new Error("no"), { code: "card_declined", retryable: false })),
    ).toEqual({
      code: "card_declined",
      message: "Error: no",
      retryable: false,
    });
    expect(attemptErrorOf(Object.assign(new Error("no"), { code: "bad code \ud800" })).code).toBe(
      "handler_error",
    );
    expect(attemptErrorOf("plain").message).toBe("Error: plain");
    expect(attemptErrorOf(Object.create(null))).toMatchObject({ code: "handler_error", retryable: true });
  });

  it("log lines and progress messages fit; progress numbers that are not finite and ≥ 0 are refused with a reason", () => {
    expect(logLineOf("x".repeat(9000)).length).toBe(8192);
    expect(logLineOf(42)).toBe("42");
    expect(progressOf(1, 2, undefined)).toEqual({ progress: { current: 1, total: 2 } });
    expect(progressOf(1, 2, "m".repeat(2000))).toMatchObject({ progress: { current: 1, total: 2 } });
    expect(progressOf(-1, Number.NaN, "x")).toEqual({
      refused: "progress (-1, NaN) refused: current and total must be finite numbers ≥ 0",
    });
    expect("refused" in progressOf("1", 2, undefined)).toBe(true);
  });
});

describe("parseInstant", () => {
  it("accepts what a Date holds and refuses what it does not", () => {
    expect(parseInstant(String(MAX_DATE_MS))).toEqual(Result.succeed(MAX_DATE_MS));
    expect(parseInstant(-MAX_DATE_MS)).toEqual(Result.succeed(-MAX_DATE_MS));
    for (const input of [String(MAX_DATE_MS + 1), "9007199254740993", "+275760-09-13T00:00:00.001Z"])
      expect(Result.isFailure(parseInstant(input)), input).toBe(true);
  });

  it("refuses a day or hour the calendar does not have rather than move to the next one", () => {
    for (const input of [
      "2023-02-29",
      "1900-02-29T00:00Z",
      "2026-04-31T12:00:00+02:00",
      "2026-01-01T24:00:00Z",
    ])
      expect(Result.isFailure(parseInstant(input)), input).toBe(true);
    for (const input of ["2024-02-29", "2000-02-29T00:00Z", "2026-04-30T23:59:59.999+02:00"])
      expect(Result.isSuccess(parseInstant(input)), input).toBe(true);
  });
});

describe("copyJson", () => {
  it("copies a storable value and refuses, with the path, what an event cannot hold", () => {
    const value = { a: [1, "two", { b: null }], __proto__x: true };
    expect(copyJson(value, 1000)).toEqual({ value });
    expect(copyJson({ a: [0, "\ud800"] }, 1000)).toEqual({
      problem: { path: ["a", 1], message: "a string with a lone surrogate (not well-formed Unicode)" },
    });
    let deep: unknown = 0;
    for (let i = 0; i <= MAX_JSON_DEPTH; i++) deep = [deep];
    expect("problem" in copyJson(deep, 10_000)).toBe(true);
    expect("problem" in copyJson("x".repeat(2000), 1000)).toBe(true);
  });

  it("keeps a member named __proto__ as a member", () => {
    const parsed = JSON.parse('{"__proto__":{"x":1}}') as unknown;
    const copied = copyJson(parsed, 1000);
    expect("value" in copied && Object.keys(copied.value as object)).toEqual(["__proto__"]);
  });
});
