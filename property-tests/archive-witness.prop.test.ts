/**
 * Checkpoints kept by an auditor (the witness, ADR 0029 amended) against an archive cut back:
 * for any shards, any checkpoints kept at any earlier point of their growth, and any number of
 * last segments (or whole shards) removed since, verification fails exactly when a kept
 * checkpoint's segment is gone — and names that shard — and an archive that only grew is never
 * refused. Without kept checkpoints each of these cuts verifies, which is why they are kept.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { type KeptCheckpoint, verifyArchive } from "../src/engine/archive/index.ts";
import { ed25519Verifier } from "../src/infra/archive/ed25519.ts";
import {
  archiveEntries,
  keptCheckpointIn,
  MemoryArchiveStore,
  syntheticEntries,
  testSigner,
} from "../test/support/archive.ts";

const SHARDS = 3;
const SEGMENTS = 5;
const signer = testSigner();
const trust = { verifier: ed25519Verifier, publicKeys: [signer.publicKey] };
let full: MemoryArchiveStore;

beforeAll(async () => {
  full = new MemoryArchiveStore();
  const entries = syntheticEntries(4); // 4 jobs × the golden history's events
  for (let shard = 0; shard < SHARDS; shard++)
    await archiveEntries(full, entries.slice(0, SEGMENTS * 4), { signer, segmentEntries: 4, shard });
});

const keptAt = (shard: number, segment: number): Promise<KeptCheckpoint> =>
  keptCheckpointIn(full, shard, segment, trust);

/** Per shard: the segment whose checkpoint was kept (null: none kept), and how many segments are left now. */
const shardArb = fc.record({
  kept: fc.option(fc.integer({ min: 0, max: SEGMENTS - 1 }), { nil: null }),
  left: fc.integer({ min: 0, max: SEGMENTS }),
});

describe("checkpoints kept by the auditor (property)", () => {
  it("an archive whose shards were cut back fails verification exactly when a kept checkpoint's segment is gone, naming each such shard; growth is never refused", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(shardArb, { minLength: SHARDS, maxLength: SHARDS }), async (shards) => {
        const store = full.clone();
        const kept: Array<KeptCheckpoint> = [];
        for (const [shard, { kept: segment, left }] of shards.entries()) {
          if (segment !== null) kept.push(await keptAt(shard, segment));
          for (let gone = left; gone < SEGMENTS; gone++) store.files.delete(`${shard}/${gone}`);
        }
        const report = await verifyArchive({ store, ...trust, kept });
        const cut = shards.flatMap(({ kept: segment, left }, shard) =>
          segment !== null && left <= segment ? [[shard, segment, "kept_checkpoint_missing"]] : [],
        );
        const empty = shards.every(({ left }) => left === 0);
        expect(report.findings.map((f) => [f.shard, f.segment, f.code])).toEqual([
          ...cut,
          ...(empty ? [[null, null, "archive_empty"]] : []),
        ]);
        expect(report.ok).toBe(cut.length === 0 && !empty);
        // Without the kept checkpoints, a cut archive verifies (unless nothing is left at all).
        expect((await verifyArchive({ store, ...trust })).ok).toBe(!empty);
      }),
      { numRuns: 200 },
    );
  });
});
