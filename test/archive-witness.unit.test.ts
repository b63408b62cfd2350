/**
 * Checkpoints kept from an earlier verification (the witness, ADR 0029 amended): what an archive
 * cannot show about itself. An archive cut back by its last segments, or with a whole shard
 * deleted, or re-sealed from some segment on with the real key (a fork), verifies on its own;
 * against the checkpoints kept before, each is caught and named.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { ArchivedEntry } from "../src/domain/index.ts";
import {
  type ArchiveVerifyReport,
  type KeptCheckpoint,
  keptCheckpointOf,
  verifyArchive,
} from "../src/engine/archive/index.ts";
import { ed25519Verifier } from "../src/infra/archive/ed25519.ts";
import {
  archiveEntries,
  keptCheckpointIn,
  MemoryArchiveStore,
  syntheticEntries,
  testSigner,
} from "./support/archive.ts";

const signer = testSigner();
const trust = { verifier: ed25519Verifier, publicKeys: [signer.publicKey] };
let entries: ReadonlyArray<ArchivedEntry>;
let pristine: MemoryArchiveStore;

/** Shards 0 and 1, each with several segments of 10 entries. */
const archive = async (shard0: ReadonlyArray<ArchivedEntry>): Promise<MemoryArchiveStore> => {
  const store = new MemoryArchiveStore();
  await archiveEntries(store, shard0, { signer, segmentEntries: 10, shard: 0 });
  await archiveEntries(store, syntheticEntries(3), { signer, segmentEntries: 10, shard: 1 });
  return store;
};

const lastOf = async (store: MemoryArchiveStore, shard: number): Promise<KeptCheckpoint> =>
  keptCheckpointIn(store, shard, (await store.segments(shard)).at(-1) as number, trust);

const verify = (
  store: MemoryArchiveStore,
  kept: ReadonlyArray<KeptCheckpoint>,
): Promise<ArchiveVerifyReport> => verifyArchive({ store, ...trust, kept });

const found = (report: ArchiveVerifyReport) => report.findings.map((f) => [f.shard, f.segment, f.code]);

beforeAll(async () => {
  entries = syntheticEntries(12);
  pristine = await archive(entries);
});

describe("checkpoints kept from an earlier verification", () => {
  it("an archive that holds every kept checkpoint, and has grown since, verifies; the summary names each shard's last segment", async () => {
    const earlier = new MemoryArchiveStore();
    await archiveEntries(earlier, entries.slice(0, 30), { signer, segmentEntries: 10, shard: 0 });
    const kept = [await lastOf(earlier, 0), await lastOf(pristine, 1)];
    const report = await verify(pristine, kept);
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.shards.map((s) => [s.shard, s.lastSegment])).toEqual([
      [0, (await pristine.segments(0)).at(-1)],
      [1, (await pristine.segments(1)).at(-1)],
    ]);
  });

  it("a dropped last segment verifies on its own, and is caught against the kept checkpoint: kept_checkpoint_missing", async () => {
    const kept = [await lastOf(pristine, 0), await lastOf(pristine, 1)];
    const store = pristine.clone();
    const last = (await store.segments(0)).at(-1) as number;
    store.files.delete(`0/${last}`);
    expect((await verifyArchive({ store, ...trust })).ok).toBe(true);
    const report = await verify(store, kept);
    expect(report.ok).toBe(false);
    expect(found(report)).toEqual([[0, last, "kept_checkpoint_missing"]]);
    expect(report.findings[0]?.message).toContain("cut back");
  });

  it("a whole shard deleted verifies on its own, and is caught against the kept checkpoint: kept_checkpoint_missing", async () => {
    const kept = [await lastOf(pristine, 0), await lastOf(pristine, 1)];
    const store = pristine.clone();
    for (const segment of await store.segments(1)) store.files.delete(`1/${segment}`);
    expect((await verifyArchive({ store, ...trust })).ok).toBe(true);
    const report = await verify(store, kept);
    expect(found(report)).toEqual([[1, kept[1]?.segment, "kept_checkpoint_missing"]]);
    expect(report.findings[0]?.message).toContain("shard 1 is gone");
  });

  it("a history re-sealed with the real key from some segment on (a fork) is caught: kept_checkpoint_differs", async () => {
    const kept = [await lastOf(pristine, 0)];
    // Whoever holds the key re-seals shard 0 with one entry of its last segment left out.
    const lastSegment = kept[0]?.segment as number;
    const forked = await archive(entries.filter((_, i) => i !== lastSegment * 10 + 1));
    expect((await verifyArchive({ store: forked, ...trust })).findings.map((f) => f.code)).not.toContain(
      "root_mismatch",
    );
    const report = await verify(forked, kept);
    expect(found(report)).toContainEqual([0, lastSegment, "kept_checkpoint_differs"]);
  });

  it("a checkpoint kept for another deployment is named as such: kept_checkpoint_differs", async () => {
    const other = new MemoryArchiveStore();
    await archiveEntries(other, entries, { signer, segmentEntries: 10, origin: "docket/elsewhere" });
    const report = await verify(pristine, [await lastOf(other, 0)]);
    expect(found(report)).toEqual([[0, (await other.segments(0)).at(-1), "kept_checkpoint_differs"]]);
    expect(report.findings[0]?.message).toContain("kept for docket/elsewhere");
  });

  it("a kept file that is not a checkpoint signed by a trusted key is refused, with why", async () => {
    const checkpoint = (await pristine.read(0, 0)).checkpoint;
    expect(keptCheckpointOf("not a note", "k", trust)).toMatch(/^k is not a signed checkpoint/);
    expect(keptCheckpointOf(checkpoint.replace("\nshard 0\n", "\nshard 9\n"), "k", trust)).toMatch(
      /^k: signature_invalid/,
    );
    expect(keptCheckpointOf(checkpoint, "k", { ...trust, publicKeys: [testSigner().publicKey] })).toMatch(
      /^k: unknown_key/,
    );
  });
});
