/**
 * Every single change to a valid history is detected, and the report names the first bad seq.
 *
 * Both checkers run with the head's anchor (last seq and hash), as an auditor would with the
 * job head or a bundle header: without an anchor, cutting off or appending to the tail of a
 * chain cannot be told from a shorter or longer honest history.
 */
import * as Result from "effect/Result";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  computeHash,
  type Envelope,
  GENESIS_HASH,
  type HistoryFailureCode,
  replay,
  verifyChain,
} from "../src/domain/index.ts";
import { historyArb, runHistory, sealHistory, type Step } from "./support/history.ts";

type Mutable = Record<string, unknown> & { seq: number; hash: string; prevHash: string };

interface Tamper {
  readonly name: string;
  readonly envelopes: ReadonlyArray<Mutable>;
  /** The first seq at which the chain is wrong. */
  readonly chainSeq: number;
  /** The first seq touched; strict replay may name it (the machine refuses a forged event). */
  readonly touchedSeq: number;
  /** The reason verifyChain must give, where one reason is clearly the right one. */
  readonly chainCode?: HistoryFailureCode;
}

const clone = (envelopes: ReadonlyArray<Envelope>): Array<Mutable> =>
  JSON.parse(JSON.stringify(envelopes)) as Array<Mutable>;

const rehash = (envelope: Mutable): Mutable => ({
  ...envelope,
  hash: computeHash(envelope as unknown as Envelope),
});

/** A change to one field of one envelope, made without recomputing its hash. */
const fieldEdits: ReadonlyArray<readonly [string, (e: Mutable) => Mutable]> = [
  ["at", (e) => ({ ...e, at: new Date(Date.parse(e.at as string) + 1).toISOString() })],
  ["actor", (e) => ({ ...e, actor: { ...(e.actor as object), id: "mallory" } })],
  ["data", (e) => ({ ...e, data: { ...(e.data as object), tampered: true } })],
  ["type", (e) => ({ ...e, type: e.type === "JobCancelled" ? "LogRecorded" : "JobCancelled" })],
  ["seq", (e) => ({ ...e, seq: e.seq + 100 })],
  ["prevHash", (e) => ({ ...e, prevHash: (e.prevHash === GENESIS_HASH ? "1" : "0").repeat(64) })],
  ["jobId", (e) => ({ ...e, jobId: `${String(e.jobId)}x` })],
  ["schemaVersion", (e) => ({ ...e, schemaVersion: 2 })],
];

const tamperArb = (original: ReadonlyArray<Envelope>): fc.Arbitrary<Tamper> => {
  const n = original.length;
  const position = fc.integer({ min: 1, max: n });
  const options: Array<fc.Arbitrary<Tamper>> = [
    fc.tuple(position, fc.constantFrom(...fieldEdits)).map(([k, [field, edit]]) => {
      const envelopes = clone(original);
      envelopes[k - 1] = edit(envelopes[k - 1] as Mutable);
      return { name: `edit ${field} of seq ${k}`, envelopes, chainSeq: k, touchedSeq: k };
    }),
    position.map((k) => {
      const envelopes = clone(original);
      const victim = envelopes[k - 1] as Mutable;
      envelopes[k - 1] = { ...victim, hash: victim.hash.replace(/^./, (c) => (c === "f" ? "e" : "f")) };
      return {
        name: `forge the hash of seq ${k}`,
        envelopes,
        chainSeq: k,
        touchedSeq: k,
        chainCode: "hash_mismatch",
      };
    }),
    position.map((k) => {
      const envelopes = clone(original);
      envelopes[k - 1] = rehash({
        ...(envelopes[k - 1] as Mutable),
        actor: { kind: "operator", id: "mallory" },
      });
      return {
        name: `edit seq ${k} and recompute its hash`,
        envelopes,
        chainSeq: k < n ? k + 1 : n,
        touchedSeq: k,
      };
    }),
    position.map((k) => {
      const envelopes = clone(original);
      envelopes.splice(k - 1, 1);
      return {
        name: `delete seq ${k}`,
        envelopes,
        chainSeq: k,
        touchedSeq: k,
        chainCode: k < n ? "seq_gap" : "anchor_mismatch",
      };
    }),
    position.map((k) => {
      const envelopes = clone(original);
      envelopes.splice(k, 0, { ...(envelopes[k - 1] as Mutable) });
      return {
        name: `duplicate seq ${k}`,
        envelopes,
        chainSeq: k + 1,
        touchedSeq: k + 1,
        chainCode: "seq_gap",
      };
    }),
    fc.integer({ min: 1, max: n + 1 }).map((k) => {
      const envelopes = clone(original);
      const prevHash = k === 1 ? GENESIS_HASH : (envelopes[k - 2] as Mutable).hash;
      const forged = rehash({
        ...(envelopes[0] as Mutable),
        seq: k,
        type: "LogRecorded",
        actor: { kind: "worker", id: "mallory" },
        data: { attempt: 1, line: "forged" },
        prevHash,
        hash: "",
      });
      envelopes.splice(k - 1, 0, forged);
      return {
        name: `insert a well-formed forged event at seq ${k}`,
        envelopes,
        chainSeq: k <= n ? k + 1 : n + 1,
        touchedSeq: k,
      };
    }),
  ];
  if (n >= 2)
    options.push(
      fc.tuple(fc.integer({ min: 1, max: n - 1 }), fc.integer({ min: 1, max: n - 1 })).map(([a, offset]) => {
        const k = a;
        const j = Math.min(n, a + offset);
        const envelopes = clone(original);
        const tmp = envelopes[k - 1] as Mutable;
        envelopes[k - 1] = envelopes[j - 1] as Mutable;
        envelopes[j - 1] = tmp;
        return {
          name: `swap seq ${k} and seq ${j}`,
          envelopes,
          chainSeq: k,
          touchedSeq: k,
          chainCode: "seq_gap",
        };
      }),
    );
  return fc.oneof(...options);
};

describe("tamper detection", () => {
  it("every single change to a valid history is detected by verifyChain and strict replay, naming the first bad seq", () => {
    fc.assert(
      fc.property(
        historyArb.chain((steps) => {
          const original = sealHistory(runHistory(steps));
          return fc.tuple(fc.constant(original), tamperArb(original));
        }),
        ([original, tamper]) => {
          const last = original[original.length - 1] as Envelope;
          const anchor = { version: last.seq, lastHash: last.hash };
          const tampered = tamper.envelopes as unknown as ReadonlyArray<Envelope>;

          const chain = verifyChain(tampered, { anchor });
          expect(Result.isFailure(chain), tamper.name).toBe(true);
          if (Result.isFailure(chain))
            expect(chain.failure.seq, `${tamper.name}: ${chain.failure.reason}`).toBe(tamper.chainSeq);

          const strict = replay(tampered, { anchor });
          expect(Result.isFailure(strict), tamper.name).toBe(true);
          if (Result.isFailure(strict)) {
            const seq = strict.failure.failure.seq;
            expect(seq, `${tamper.name}: ${strict.failure.failure.reason}`).toBeGreaterThanOrEqual(
              tamper.touchedSeq,
            );
            expect(seq, `${tamper.name}: ${strict.failure.failure.reason}`).toBeLessThanOrEqual(
              tamper.chainSeq,
            );
          }
        },
      ),
    );
  });

  it("an untouched history passes verifyChain and strict replay with its anchor", () => {
    fc.assert(
      fc.property(historyArb, (steps) => {
        const envelopes = sealHistory(runHistory(steps));
        const last = envelopes[envelopes.length - 1] as Envelope;
        const anchor = { version: last.seq, lastHash: last.hash };
        expect(Result.isSuccess(verifyChain(envelopes, { anchor }))).toBe(true);
        expect(Result.isSuccess(replay(envelopes, { anchor }))).toBe(true);
      }),
    );
  });

  /**
   * Dead letters forged by someone who rewrites the whole chain from the change on and the
   * anchor with it, so verifyChain alone passes: the machine itself must refuse the history at
   * the touched seq.
   */
  const reseal = (kept: ReadonlyArray<Envelope>, forged: ReadonlyArray<Record<string, unknown>>) => {
    const out: Array<Envelope> = [...kept];
    for (const envelope of forged) {
      const previous = out[out.length - 1];
      out.push(
        rehash({
          ...envelope,
          seq: out.length + 1,
          prevHash: previous === undefined ? GENESIS_HASH : previous.hash,
        } as Mutable) as unknown as Envelope,
      );
    }
    return out;
  };

  const refusedAt = (envelopes: ReadonlyArray<Envelope>, seq: number, name: string) => {
    const last = envelopes[envelopes.length - 1] as Envelope;
    const anchor = { version: last.seq, lastHash: last.hash };
    expect(Result.isSuccess(verifyChain(envelopes, { anchor })), name).toBe(true);
    const strict = replay(envelopes, { anchor });
    expect(Result.isFailure(strict), name).toBe(true);
    if (Result.isFailure(strict)) {
      expect(strict.failure.failure.seq, `${name}: ${strict.failure.failure.reason}`).toBe(seq);
      expect(["illegal_transition", "dead_letter_missing"]).toContain(strict.failure.failure.code);
    }
  };

  it("a dead letter dropped, forged where a retry was due, or misstating its failure is refused at that seq, even with the chain and anchor recomputed", () => {
    let dropped = 0;
    let forged = 0;
    let misstated = 0;
    const inputs = fc.tuple(
      historyArb,
      fc.nat(),
      fc.constantFrom("reason" as const, "attempt" as const, "maxAttempts" as const, "errorCode" as const),
    );
    const check = ([steps, pick, member]: [
      ReadonlyArray<Step>,
      number,
      "reason" | "attempt" | "maxAttempts" | "errorCode",
    ]) => {
      const original = sealHistory(runHistory(steps));
      const deadAt = original.flatMap((e, i) => (e.type === "JobDeadLettered" ? [i] : []));
      const retryAt = original.flatMap((e, i) =>
        e.type === "AttemptFailed" && e.data.retryAt !== undefined ? [i] : [],
      );
      if (deadAt.length > 0) {
        const k = deadAt[pick % deadAt.length] as number;
        // Dropped: what follows the failure is no longer its dead letter (or nothing is).
        refusedAt(reseal(original.slice(0, k), clone(original.slice(k + 1))), k + 1, `drop seq ${k + 1}`);
        dropped++;
        // Misstated: one member of the dead letter changed.
        const victim = clone([original[k] as Envelope])[0] as Mutable & { data: Record<string, unknown> };
        const data = { ...victim.data };
        if (member === "reason")
          data.reason = data.reason === "not_retryable" ? "attempts_exhausted" : "not_retryable";
        else if (member === "errorCode") data.errorCode = `${String(data.errorCode)}_x`;
        else data[member] = Number(data[member]) + 1;
        refusedAt(
          reseal(original.slice(0, k), [{ ...victim, data }, ...clone(original.slice(k + 1))]),
          k + 1,
          `misstate ${member} of seq ${k + 1}`,
        );
        misstated++;
      }
      if (retryAt.length > 0) {
        // Forged where a retry was due: a dead letter right after a failure that scheduled one.
        const j = retryAt[pick % retryAt.length] as number;
        const failure = original[j] as Extract<Envelope, { type: "AttemptFailed" }>;
        const dead = {
          ...clone([failure])[0],
          type: "JobDeadLettered",
          data: {
            reason: failure.data.error.retryable ? "attempts_exhausted" : "not_retryable",
            attempt: failure.data.attempt,
            maxAttempts: failure.data.attempt,
            errorCode: failure.data.error.code,
          },
        };
        refusedAt(
          reseal(original.slice(0, j + 1), [dead, ...clone(original.slice(j + 1))]),
          j + 2,
          `dead letter after seq ${j + 1}`,
        );
        forged++;
      }
    };
    fc.assert(fc.property(inputs, check));
    // Each case is reached: by the random histories, or else by seeded batches (at most 20,000
    // histories), so what the generators happen to draw cannot leave a case untested.
    for (let batch = 0; batch < 40 && Math.min(dropped, forged, misstated) === 0; batch++)
      for (const input of fc.sample(inputs, { numRuns: 500, seed: 20261201 + batch })) check(input);
    expect(Math.min(dropped, forged, misstated)).toBeGreaterThan(0);
  });
});
