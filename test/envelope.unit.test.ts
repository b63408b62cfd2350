import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { computeHash, emptyHead, GENESIS_HASH, hashedText, seal } from "../src/domain/index.ts";
import { client, submitted } from "./support/fixtures.ts";

describe("event envelope and hash chain", () => {
  it("the genesis prevHash is 64 zeros", () => {
    expect(GENESIS_HASH).toBe("0000000000000000000000000000000000000000000000000000000000000000");
  });

  it("the hash is SHA-256 over the RFC 8785 text of the envelope without its hash member", () => {
    const [envelope] = seal(emptyHead("01JDOCKET0000000000000001"), [submitted()]).envelopes;
    if (envelope === undefined) throw new Error("seal produced nothing");
    // Written out by hand: members sorted by code point, no white space, numbers in ES form.
    const expectedText =
      '{"actor":{"id":"api-key-1","kind":"client"},"at":"2026-01-01T00:00:00.000Z",' +
      '"data":{"spec":{"backoff":{"delayMs":10000,"type":"fixed"},"jobType":"send-email","maxAttempts":3,' +
      '"payload":{"to":"a@example.com"},"priority":"normal","queue":"default"}},' +
      '"jobId":"01JDOCKET0000000000000001","machineVersion":5,' +
      `"prevHash":"${GENESIS_HASH}","schemaVersion":1,"seq":1,"type":"JobSubmitted"}`;
    expect(hashedText(envelope)).toBe(expectedText);
    expect(envelope.hash).toBe(createHash("sha256").update(expectedText).digest("hex"));
    expect(envelope.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("an actor with an unauthenticated claim is hashed the RFC 8785 way (not the {kind, id} fast path)", () => {
    const claimed = {
      ...submitted(),
      actor: { kind: "client", id: "ci", unauthenticatedClaim: "alice@corp" },
    } as const;
    const [envelope] = seal(emptyHead("01JDOCKET0000000000000001"), [claimed]).envelopes;
    if (envelope === undefined) throw new Error("seal produced nothing");
    // Golden vector, written out by hand: the actor's three members in code point order.
    const expectedText =
      '{"actor":{"id":"ci","kind":"client","unauthenticatedClaim":"alice@corp"},' +
      '"at":"2026-01-01T00:00:00.000Z",' +
      '"data":{"spec":{"backoff":{"delayMs":10000,"type":"fixed"},"jobType":"send-email","maxAttempts":3,' +
      '"payload":{"to":"a@example.com"},"priority":"normal","queue":"default"}},' +
      '"jobId":"01JDOCKET0000000000000001","machineVersion":5,' +
      `"prevHash":"${GENESIS_HASH}","schemaVersion":1,"seq":1,"type":"JobSubmitted"}`;
    expect(hashedText(envelope)).toBe(expectedText);
    expect(envelope.hash).toBe("cc5812e2baffd3424bd7ff486ba29cb729f15a0b939f83cbb75c096542d78950");
    expect(envelope.hash).toBe(createHash("sha256").update(expectedText).digest("hex"));
    // The claim is hashed: changing or dropping it breaks the chain.
    const { unauthenticatedClaim: _dropped, ...bare } = claimed.actor;
    expect(computeHash({ ...envelope, actor: bare })).not.toBe(envelope.hash);
    expect(computeHash({ ...envelope, actor: { ...claimed.actor, unauthenticatedClaim: "bob" } })).not.toBe(
      envelope.hash,
    );
  });

  it("each envelope links to the previous one and the head moves to the last", () => {
    const events = [
      submitted(),
      { type: "JobCancelled", at: "2026-01-01T00:00:01.000Z", actor: client, data: { reason: "x" } } as const,
    ];
    const { envelopes, head } = seal(emptyHead("job-1"), events);
    expect(envelopes.map((e) => e.seq)).toEqual([1, 2]);
    expect(envelopes[1]?.prevHash).toBe(envelopes[0]?.hash);
    expect(head).toEqual({ jobId: "job-1", version: 2, lastHash: envelopes[1]?.hash });
    const again = seal({ jobId: "job-1", version: 1, lastHash: envelopes[0]?.hash ?? "" }, events.slice(1));
    expect(again.envelopes[0]).toEqual(envelopes[1]);
  });

  it("member order does not change the hash, any changed value does", () => {
    const [envelope] = seal(emptyHead("job-1"), [submitted()]).envelopes;
    if (envelope === undefined) throw new Error("seal produced nothing");
    const reordered = Object.fromEntries(Object.entries(envelope).reverse()) as typeof envelope;
    expect(computeHash(reordered)).toBe(envelope.hash);
    expect(computeHash({ ...envelope, at: "2026-01-01T00:00:00.001Z" })).not.toBe(envelope.hash);
  });
});
