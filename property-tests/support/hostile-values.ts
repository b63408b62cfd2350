/**
 * Arbitraries for hostile values (issue 11): strings with lone surrogates, numbers at and beyond
 * what a date or a timer holds, and the strangest things a handler can throw or return. Shared by
 * the API fuzz, the write/read agreement and the handler-outcome properties.
 */
import fc from "fast-check";
import {
  MAX_ATTEMPTS,
  MAX_DATE_MS,
  MAX_DELAY_MS,
  MAX_TIMEOUT_MS,
  MAX_TIMESTAMP_MS,
} from "../../src/domain/index.ts";

/** One unpaired UTF-16 surrogate ("\ud800" … "\udfff"). fast-check's string units never make one. */
export const loneSurrogate = fc
  .integer({ min: 0xd800, max: 0xdfff })
  .map((code) => String.fromCharCode(code));

/** Short strings mixing ordinary text, surrogate pairs and lone surrogates. */
export const oddString = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.string({ unit: "grapheme", maxLength: 4 }) },
      { weight: 2, arbitrary: loneSurrogate },
      { weight: 1, arbitrary: fc.constantFrom("😀", "\ud83d\ude00", "\u0000", "\uffff", "\ufffd") },
    ),
    { maxLength: 5 },
  )
  .map((parts) => parts.join(""));

/** Numbers at the edges of every limit and of what a Date, a timer and a double hold. */
export const extremeNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    0.5,
    1.5,
    1,
    2 ** 31 - 1,
    2 ** 31,
    3_000_000_000,
    MAX_TIMEOUT_MS,
    MAX_TIMEOUT_MS + 1,
    MAX_DELAY_MS,
    MAX_DELAY_MS + 1,
    MAX_ATTEMPTS,
    MAX_ATTEMPTS + 1,
    400_000_000_000_000,
    MAX_TIMESTAMP_MS,
    MAX_DATE_MS,
    MAX_DATE_MS + 1,
    9e15,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    1e16,
    1e308,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    -Number.MAX_SAFE_INTEGER,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Instants as a query string: digits beyond what a Date holds, and ISO forms with wide years. */
export const extremeInstant = fc.oneof(
  extremeNumber.map((n) => String(n)),
  fc.constantFrom(
    "8640000000000000",
    "8640000000000001",
    "99999999999999999999",
    "+275760-09-13T00:00:00.000Z",
    "+275760-09-13T00:00:00.001Z",
    "-271821-04-20T00:00:00.000Z",
    "9999-12-31T23:59:59.999Z",
    "0000-01-01",
  ),
);

const throwingProxy = () =>
  new Proxy(
    {},
    {
      get() {
        throw new Error("get trap");
      },
      ownKeys() {
        throw new Error("ownKeys trap");
      },
      getPrototypeOf() {
        throw new Error("getPrototypeOf trap");
      },
    },
  );

const cycle = () => {
  const value: Record<string, unknown> = { a: [1] };
  (value.a as Array<unknown>).push(value);
  return value;
};

const deep = (levels: number) => {
  let value: unknown = "bottom";
  for (let i = 0; i < levels; i++) value = { next: value };
  return value;
};

const errorWithThrowingMessage = () =>
  Object.defineProperty(new Error("hidden"), "message", {
    get() {
      throw new Error("message getter");
    },
  });

/**
 * Anything a handler could throw, return, log or report: fast-check's `anything` with every
 * exotic option, plus values made to hurt (proxies whose traps throw, cycles, deep nesting, huge
 * strings, lone surrogates, BigInts, symbols, functions, errors whose getters throw).
 */
export const handlerValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.anything({
      maxDepth: 3,
      key: fc.oneof(fc.string({ maxLength: 6 }), oddString),
      values: [
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
        extremeNumber,
        fc.string({ maxLength: 8 }),
        oddString,
        fc.bigInt(),
      ],
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withNullPrototype: true,
      withObjectString: true,
      withSet: true,
      withSparseArray: true,
      withTypedArray: true,
    }),
  },
  { weight: 2, arbitrary: oddString },
  { weight: 1, arbitrary: extremeNumber },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom<() => unknown>(
        () => Object.create(null),
        () => Symbol("boom"),
        throwingProxy,
        cycle,
        () => deep(200),
        () => "m".repeat(600_000),
        () => ({ big: 10n }),
        () => () => 1,
        errorWithThrowingMessage,
        () => new Error("x".repeat(20_000)),
        () => new Error("lone \ud800"),
        () => Object.assign(new Error("coded"), { code: "my_code", retryable: false }),
        () => Object.assign(new Error("bad code"), { code: "\ud800" }),
        () => Number.NaN,
        () => undefined,
        () => null,
      )
      .map((make) => make()),
  },
);
