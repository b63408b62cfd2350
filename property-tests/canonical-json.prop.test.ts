/**
 * Docket's own RFC 8785 canonicaliser (and the envelope template on its fast path) gives the
 * same bytes as the reference implementation, the `canonicalize` package by the RFC's author,
 * on arbitrary JSON values and envelopes — and refuses the same inputs (ADR 0011).
 */
import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../src/domain/canonical-json.ts";
import { GENESIS_HASH, hashedText, seal } from "../src/domain/index.ts";
import { historyArb, runHistory, sealHistory } from "./support/history.ts";

type Outcome = { readonly text: string | undefined } | { readonly threw: true };

const outcome = (run: () => string | undefined): Outcome => {
  try {
    return { text: run() };
  } catch {
    return { threw: true };
  }
};

/** Ours against the reference: same text, or both refuse. */
const same = (value: unknown): void => {
  const reference = outcome(() => {
    const text = canonicalize(value);
    if (text === undefined) throw new TypeError("no JSON representation");
    return text;
  });
  expect(outcome(() => canonicalJson(value))).toEqual(reference);
};

/** Numbers RFC 8785 §3.2.2.3 and its Appendix B single out, and ES formatting edge cases. */
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.1,
  1e21,
  1e20,
  1e-6,
  1e-7,
  123e-20,
  5e-324,
  -5e-324,
  1.7976931348623157e308,
  -1.7976931348623157e308,
  9007199254740992,
  9007199254740991,
  295147905179352830000,
  333333333.3333333,
  4.5,
  2e-3,
  0.000001,
  1e23,
  1.5e300,
  Number.EPSILON,
  Number.MIN_VALUE,
];

/** Strings with escapes (§3.2.2.2): controls, quotes, backslash, DEL, U+2028/9, surrogates. */
const STRINGS = [
  "",
  "\u0000\u0001\u001f",
  '"\\/\b\f\n\r\t',
  "\u007f\u0080\u00ff",
  "\u2028\u2029",
  "€ ö 漢字",
  "😀",
  "\ud83d\ude00x",
  "\ud800",
  "a\udc00",
  "\ude00\ud83d",
];

const doubles = fc.double();
const text = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom(...STRINGS),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    doubles,
    fc.integer(),
    fc.constantFrom(...NUMBERS),
    text,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(text, tie("value"), { maxKeys: 6 }),
    // Members that canonicalisation drops or turns into null, as JSON.stringify does.
    fc.record({ kept: tie("value"), dropped: fc.constant(undefined) }),
  ),
})).value;

const actor = fc.record(
  {
    kind: fc.constantFrom("client", "worker", "scheduler", "operator", "system"),
    id: text,
    // An API caller's Docket-Actor claim (ADR 0017): the actor is no longer {kind, id}.
    unauthenticatedClaim: text,
  },
  { requiredKeys: ["kind", "id"] },
);

/** Envelope-like objects: the usual shape, plus variations the template must not mistake. */
const envelope = fc
  .record({
    jobId: text,
    seq: fc.oneof(fc.nat(), doubles),
    type: text,
    at: text,
    actor: fc.oneof(actor, json),
    data: json,
    schemaVersion: fc.oneof(fc.constant(1), doubles),
    machineVersion: fc.oneof(fc.constant(1), doubles),
    prevHash: fc.oneof(fc.constant(GENESIS_HASH), text),
  })
  .chain((base) =>
    fc.oneof(
      fc.constant<Record<string, unknown>>(base),
      fc.constant<Record<string, unknown>>({ ...base, hash: "f".repeat(64) }),
      fc.constant<Record<string, unknown>>({ ...base, extra: 1 }),
      fc.constant<Record<string, unknown>>({ ...base, actor: { ...(base.actor as object), extra: true } }),
      fc.constant<Record<string, unknown>>({ ...base, at: undefined }),
    ),
  );

const withoutHash = (value: Record<string, unknown>): Record<string, unknown> => {
  const { hash: _ignored, ...rest } = value;
  return rest;
};

describe("RFC 8785 canonical JSON", () => {
  it("gives the reference implementation's bytes for the RFC's number and string cases", () => {
    for (const n of NUMBERS) {
      same(n);
      same([n, -n]);
      same({ n });
    }
    for (const s of STRINGS) {
      same(s);
      same({ [s]: s });
    }
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, undefined]) same(bad);
    same({ b: 1, a: 2, "\u20ac": 3, "\r": 4, "1": 5, "\ud83d\ude00": 6, "\ufb33": 7, "\u00f6": 8 });
    same({ date: new Date(0), nested: { toJSON: () => ({ z: 1, a: [1, undefined] }) } });
  });

  it("gives the reference implementation's bytes for any JSON value", () => {
    fc.assert(fc.property(json, (value) => same(value)));
  });

  it("gives the reference's bytes for values JSON.parse never makes: sparse arrays, symbols, many members", () => {
    fc.assert(
      fc.property(
        fc.sparseArray(fc.oneof(fc.integer(), text, fc.constant(undefined)), { maxLength: 12 }),
        fc.dictionary(text, fc.oneof(fc.integer(), text, fc.constant(Symbol.for("s"))), { maxKeys: 40 }),
        (sparse, wide) => {
          same(sparse);
          same({ sparse, wide });
        },
      ),
    );
  });

  it("refuses cycles as the reference does", () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    same(cycle);
  });

  it("hashes any envelope-like object over the reference's canonical text, without its hash", () => {
    fc.assert(
      fc.property(envelope, (value) => {
        const reference = outcome(() => canonicalize(withoutHash(value)));
        expect(outcome(() => hashedText(value as never))).toEqual(reference);
      }),
    );
  });

  it("seals real histories over the reference's canonical text", () => {
    fc.assert(
      fc.property(historyArb, (steps) => {
        for (const sealed of sealHistory(runHistory(steps)))
          expect(hashedText(sealed)).toBe(canonicalize(withoutHash({ ...sealed })));
      }),
      { numRuns: 200 },
    );
    const [first] = seal({ jobId: "job-1", version: 0, lastHash: GENESIS_HASH }, [
      {
        type: "JobCancelled",
        at: "2026-01-01T00:00:00.000Z",
        actor: { kind: "client", id: "é😀" },
        data: {},
      },
    ]).envelopes;
    expect(first && hashedText(first)).toBe(first && canonicalize(withoutHash({ ...first })));
  });

  it("a sealed envelope's stored text carries exactly what its JSON text would: hashed text plus the hash", () => {
    const event = fc.record({ type: text, at: text, actor: fc.oneof(actor, json), data: json });
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 3 }), (events) => {
        let sealed: ReturnType<typeof seal>;
        try {
          sealed = seal({ jobId: "job-1", version: 0, lastHash: GENESIS_HASH }, events as never);
        } catch {
          return; // no canonical form (the writer refuses such an event): nothing is stored
        }
        expect(sealed.texts).toHaveLength(sealed.envelopes.length);
        sealed.envelopes.forEach((envelope, i) => {
          const stored = sealed.texts[i] as string;
          expect(JSON.parse(stored)).toStrictEqual(JSON.parse(JSON.stringify(envelope)));
          expect(stored).toBe(`${hashedText(envelope).slice(0, -1)},"hash":"${envelope.hash}"}`);
        });
      }),
    );
  });
});
