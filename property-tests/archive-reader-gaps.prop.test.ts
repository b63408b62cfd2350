/**
 * The archive reader never serves part of a shard as if it were all of it: with any set of
 * segments deleted that leaves a gap in the numbering (anything but a dropped tail, which only
 * Redis's archived-through id can reveal: test/archive-hostile-http.int.test.ts), every read —
 * a range, one job's entries, entries by id — either fails with ArchiveCorrupt
 * `segment_missing` or answers exactly what the whole archive answers.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { ArchivedEntry } from "../src/domain/index.ts";
import { ArchiveCorrupt, ArchiveReader } from "../src/engine/archive/index.ts";
import { ed25519Verifier } from "../src/infra/archive/ed25519.ts";
import { archiveEntries, MemoryArchiveStore, syntheticEntries, testSigner } from "../test/support/archive.ts";

const signer = testSigner();
const ENTRIES = syntheticEntries(4);
const SEGMENTS = Math.ceil(ENTRIES.length / 5);
let pristine: MemoryArchiveStore;

beforeAll(async () => {
  pristine = new MemoryArchiveStore();
  await archiveEntries(pristine, ENTRIES, { signer, segmentEntries: 5 });
});

const readerOf = (store: MemoryArchiveStore): ArchiveReader =>
  new ArchiveReader({
    store,
    verifier: ed25519Verifier,
    publicKeys: [signer.publicKey],
    origin: "docket/test",
    cachedSegments: 2,
  });

type Read = (reader: ArchiveReader) => Promise<unknown>;

const readArb: fc.Arbitrary<Read> = fc.oneof(
  fc
    .tuple(fc.nat(ENTRIES.length - 1), fc.nat(ENTRIES.length - 1), fc.integer({ min: 1, max: 80 }))
    .map(([a, b, count]): Read => {
      const [from, to] = a <= b ? [a, b] : [b, a];
      const after = from === 0 ? "0-0" : (ENTRIES[from - 1] as ArchivedEntry).id;
      return (reader) => reader.range(0, after, (ENTRIES[to] as ArchivedEntry).id, count);
    }),
  fc.nat(3).map(
    (j): Read =>
      (reader) =>
        reader.jobEntries(0, `job-${String(j).padStart(4, "0")}`),
  ),
  fc
    .uniqueArray(fc.nat(ENTRIES.length - 1), { minLength: 1, maxLength: 6 })
    .map((indices): Read => async (reader) => [
      ...(await reader.entries(
        0,
        indices.map((i) => (ENTRIES[i] as ArchivedEntry).id),
      )),
    ]),
);

/** Deleted segments that leave a gap: some segment after the first deleted one is still there. */
const gapArb = fc
  .uniqueArray(fc.nat(SEGMENTS - 1), { minLength: 1, maxLength: SEGMENTS - 1 })
  .filter((deleted) => {
    const first = Math.min(...deleted);
    return Array.from({ length: SEGMENTS }, (_, i) => i).some((i) => i > first && !deleted.includes(i));
  });

describe("archive reader with segments deleted (property)", () => {
  it("a read from an archive with a gap in its segments fails with segment_missing or answers exactly what the whole archive answers", async () => {
    await fc.assert(
      fc.asyncProperty(gapArb, fc.array(readArb, { minLength: 1, maxLength: 4 }), async (deleted, reads) => {
        const store = pristine.clone();
        for (const segment of deleted) store.files.delete(`0/${segment}`);
        const whole = readerOf(pristine);
        const gapped = readerOf(store);
        for (const read of reads) {
          const expected = await read(whole);
          const got = await read(gapped).then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          );
          if ("value" in got) expect(got.value).toEqual(expected);
          else {
            expect(got.error).toBeInstanceOf(ArchiveCorrupt);
            expect((got.error as ArchiveCorrupt).code).toBe("segment_missing");
          }
        }
        // Whatever was read, the gap is never passed over: a read of the whole shard fails.
        await expect(
          gapped.range(0, "0-0", (ENTRIES.at(-1) as ArchivedEntry).id, 1_000),
        ).rejects.toMatchObject({
          code: "segment_missing",
        });
      }),
      { numRuns: 200 },
    );
  });
});
