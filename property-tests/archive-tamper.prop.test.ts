/**
 * Every single edit to a sealed archive is detected: one character replaced, deleted or inserted
 * anywhere in any segment file or checkpoint of a signed archive makes offline verification
 * fail. (Whole-segment tampering — dropped, reordered, duplicated, re-signed — is in
 * test/archive-tamper.unit.test.ts, each case by its finding's name.)
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyArchive } from "../src/engine/archive/index.ts";
import { ed25519Verifier } from "../src/infra/archive/ed25519.ts";
import { archiveEntries, MemoryArchiveStore, syntheticEntries, testSigner } from "../test/support/archive.ts";

const signer = testSigner();
let pristine: MemoryArchiveStore;
let keys: ReadonlyArray<string>;

beforeAll(async () => {
  pristine = new MemoryArchiveStore();
  await archiveEntries(pristine, syntheticEntries(3), { signer, segmentEntries: 4 });
  keys = [...pristine.files.keys()];
});

type Edit =
  | { readonly kind: "replace"; readonly at: number; readonly char: string }
  | { readonly kind: "delete"; readonly at: number }
  | { readonly kind: "insert"; readonly at: number; readonly char: string };

const editArb = fc.oneof(
  fc.record({
    kind: fc.constant("replace" as const),
    at: fc.nat(),
    char: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    char: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  }),
);

const apply = (text: string, edit: Edit): string => {
  const at = edit.at % (text.length + (edit.kind === "insert" ? 1 : 0));
  if (edit.kind === "delete") return text.slice(0, at) + text.slice(at + 1);
  if (edit.kind === "insert") return text.slice(0, at) + edit.char + text.slice(at);
  return text.slice(0, at) + edit.char + text.slice(at + 1);
};

describe("archive tampering (property)", () => {
  it("the untouched archive verifies", async () => {
    const report = await verifyArchive({
      store: pristine,
      verifier: ed25519Verifier,
      publicKeys: [signer.publicKey],
    });
    expect(report.findings).toEqual([]);
  });

  it("every single edit to a sealed archive (one character replaced, deleted or inserted in any file) is detected", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.boolean(), editArb, async (which, inCheckpoint, edit) => {
        const key = keys[which % keys.length] as string;
        const store = pristine.clone();
        const files = store.files.get(key);
        if (files === undefined) throw new Error(key);
        const original = inCheckpoint ? files.checkpoint : files.segment;
        const edited = apply(original, edit);
        fc.pre(edited !== original);
        store.files.set(key, inCheckpoint ? { ...files, checkpoint: edited } : { ...files, segment: edited });
        const report = await verifyArchive({
          store,
          verifier: ed25519Verifier,
          publicKeys: [signer.publicKey],
        });
        expect(report.ok).toBe(false);
      }),
    );
  });
});
