/**
 * The archive reader on a real archive directory (FsArchiveStore) sealed with a real Ed25519 key
 * the way the archiver seals it: entries by id, ranges and one job's entries across segments and
 * shards, only from segments that check out (a tampered line or checkpoint, another key, another
 * origin, a segment that cannot be read: ArchiveCorrupt with the finding's code), correct with
 * more segments than it caches, and seeing segments committed after it first listed a shard.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArchivedEntry } from "../src/domain/index.ts";
import {
  ArchiveCorrupt,
  type ArchiveFindingCode,
  ArchiveReader,
  type ArchiveStore,
  progressAfter,
  sealSegment,
  type SegmentFiles,
} from "../src/engine/archive/index.ts";
import { ed25519Verifier } from "../src/infra/archive/ed25519.ts";
import { CHECKPOINT_FILE, FsArchiveStore, SEGMENT_FILE } from "../src/infra/archive/fs-archive-store.ts";
import { archiveEntries, syntheticEntries, testSigner } from "./support/archive.ts";

const ORIGIN = "docket/test";
const signer = testSigner();
const dirs: Array<string> = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "docket-archive-reader-"));
  dirs.push(dir);
  return dir;
};

/** Entries two milliseconds apart: every odd millisecond is an id the archive does not hold. */
const spaced = (entries: ReadonlyArray<ArchivedEntry>, firstMs: number): ReadonlyArray<ArchivedEntry> =>
  entries.map((entry, i) => ({ ...entry, id: `${firstMs + 2 * i}-0` }));

// Shard 0: 12 jobs × 12 events in segments of 10 (15 segments); shard 1: 5 jobs × 12 in
// segments of 7 (9 segments), the same job ids (a lookup must stay in its shard), later ids.
const SHARD0 = spaced(syntheticEntries(12), 1_700_000_000_000);
const SHARD1 = spaced(syntheticEntries(5), 1_800_000_000_000);
const PER_SEGMENT = { 0: 10, 1: 7 } as const;
let archive: string;

/** An ArchiveStore that notes each segment it reads ("shard/segment"). */
class CountingStore implements ArchiveStore {
  readonly reads: Array<string> = [];
  constructor(private readonly inner: ArchiveStore) {}
  get location(): string {
    return this.inner.location;
  }
  segments(shard: number): Promise<ReadonlyArray<number>> {
    return this.inner.segments(shard);
  }
  shardsPresent(): Promise<ReadonlyArray<number>> {
    return this.inner.shardsPresent();
  }
  read(shard: number, segment: number): Promise<SegmentFiles> {
    this.reads.push(`${shard}/${segment}`);
    return this.inner.read(shard, segment);
  }
  readCheckpoint(shard: number, segment: number): Promise<string> {
    return this.inner.readCheckpoint(shard, segment);
  }
  commit(shard: number, segment: number, files: SegmentFiles, fence: number): Promise<void> {
    return this.inner.commit(shard, segment, files, fence);
  }
  sweep(shard: number): Promise<void> {
    return this.inner.sweep(shard);
  }
}

const readerOf = (
  store: ArchiveStore,
  options: { publicKey?: Uint8Array; origin?: string; cachedSegments?: number } = {},
): ArchiveReader =>
  new ArchiveReader({
    store,
    verifier: ed25519Verifier,
    publicKeys: [options.publicKey ?? signer.publicKey],
    origin: options.origin ?? ORIGIN,
    ...(options.cachedSegments === undefined ? {} : { cachedSegments: options.cachedSegments }),
  });

/** A copy of the pristine archive to tamper with. */
const copyOfArchive = (): string => {
  const dir = join(tempDir(), "archive");
  cpSync(archive, dir, { recursive: true });
  return dir;
};

const segmentDir = (root: string, shard: number, segment: number): string =>
  join(root, `shard-${shard}`, String(segment).padStart(12, "0"));

const jobIdOf = (entry: ArchivedEntry): string => entry.fields[1] as string;
const segmentOf = (shard: 0 | 1, index: number): number => Math.floor(index / PER_SEGMENT[shard]);

/** The ArchiveCorrupt a call fails with (the test fails if it does not). */
const corruption = async (call: () => Promise<unknown>): Promise<ArchiveCorrupt> => {
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ArchiveCorrupt);
  return error as ArchiveCorrupt;
};

beforeAll(async () => {
  archive = join(tempDir(), "archive");
  const store = new FsArchiveStore(archive);
  await archiveEntries(store, SHARD0, { signer, segmentEntries: PER_SEGMENT[0], shard: 0, origin: ORIGIN });
  await archiveEntries(store, SHARD1, { signer, segmentEntries: PER_SEGMENT[1], shard: 1, origin: ORIGIN });
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("the archive reader", () => {
  it("names each shard's last archived entry, and 0-0 for a shard with nothing archived", async () => {
    const reader = readerOf(new FsArchiveStore(archive));
    expect(await reader.archivedThrough(0)).toBe(SHARD0.at(-1)?.id);
    expect(await reader.archivedThrough(1)).toBe(SHARD1.at(-1)?.id);
    expect(await reader.archivedThrough(2)).toBe("0-0");
  });

  it("gives back the entries with the ids asked for, from any segment and shard, and none it does not hold", async () => {
    const reader = readerOf(new FsArchiveStore(archive));
    const picks = [143, 0, 9, 10, 77, 11, 99, 142].map((i) => SHARD0[i] as ArchivedEntry);
    const first = SHARD0[0] as ArchivedEntry;
    const last = SHARD0.at(-1) as ArchivedEntry;
    const notHeld = [
      "1-0", // before the first segment
      `${Number(first.id.split("-")[0]) + 1}-0`, // between two entries of a segment
      `${Number((SHARD0[9] as ArchivedEntry).id.split("-")[0]) + 1}-0`, // between segments 0 and 1
      first.id.replace(/-0$/, "-1"), // same millisecond, a sequence number never written
      `${Number(last.id.split("-")[0]) + 1}-0`, // past the end
      (SHARD1[3] as ArchivedEntry).id, // another shard's
      "not-an-id",
      "",
    ];
    const found = await reader.entries(0, [...notHeld, ...picks.map((e) => e.id), picks[2]?.id as string]);
    expect(new Map(found)).toEqual(new Map(picks.map((e) => [e.id, e])));
    const other = await reader.entries(1, [
      (SHARD1[3] as ArchivedEntry).id,
      (SHARD1[59] as ArchivedEntry).id,
    ]);
    expect([...other.values()]).toEqual([SHARD1[3], SHARD1[59]]);
    expect((await reader.entries(0, [])).size).toBe(0);
  });

  it("reads a range across segments: from before the first, from inside a segment, through the middle of one", async () => {
    const reader = readerOf(new FsArchiveStore(archive));
    expect(await reader.range(0, "0-0", SHARD0.at(-1)?.id as string, 1_000)).toEqual(SHARD0);
    // From before the first segment, cut by count inside segment 1.
    expect(await reader.range(0, "1-0", "99999999999999-0", 15)).toEqual(SHARD0.slice(0, 15));
    // After an id inside segment 1 through an id in the middle of segment 3.
    const after = (SHARD0[13] as ArchivedEntry).id;
    const through = (SHARD0[37] as ArchivedEntry).id;
    expect(await reader.range(0, after, through, 1_000)).toEqual(SHARD0.slice(14, 38));
    // Bounds the archive does not hold (odd milliseconds) cut the same way.
    const between = (id: string): string => `${Number(id.split("-")[0]) + 1}-0`;
    expect(await reader.range(0, between(after), between(through), 1_000)).toEqual(SHARD0.slice(14, 38));
    expect(await reader.range(0, after, through, 4)).toEqual(SHARD0.slice(14, 18));
    // After the last segment's end, an empty range, a zero count: nothing.
    expect(await reader.range(0, SHARD0.at(-1)?.id as string, "99999999999999-0", 10)).toEqual([]);
    expect(await reader.range(0, through, after, 10)).toEqual([]);
    expect(await reader.range(0, after, through, 0)).toEqual([]);
    expect(await reader.range(0, after, through, 2.5)).toEqual(SHARD0.slice(14, 16));
    expect(await reader.range(0, after, through, Number.NaN)).toEqual([]);
    expect(await reader.range(1, "0-0", (SHARD1[20] as ArchivedEntry).id, 1_000)).toEqual(
      SHARD1.slice(0, 21),
    );
    expect(await reader.range(2, "0-0", "99999999999999-0", 10)).toEqual([]);
    await expect(reader.range(0, "0", through, 10)).rejects.toThrow(RangeError);
  });

  it("finds a job's entries across the segments that hold them, and a second lookup opens only those", async () => {
    const store = new CountingStore(new FsArchiveStore(archive));
    const reader = readerOf(store, { cachedSegments: 2 });
    const expected = SHARD0.filter((e) => jobIdOf(e) === "job-0003");
    const holding = new Set(
      SHARD0.flatMap((e, i) => (jobIdOf(e) === "job-0003" ? [`0/${segmentOf(0, i)}`] : [])),
    );
    expect(holding.size).toBeGreaterThan(5);
    expect(await reader.jobEntries(0, "job-0003")).toEqual(expected);
    expect(await reader.jobEntries(1, "job-0003")).toEqual(SHARD1.filter((e) => jobIdOf(e) === "job-0003"));

    store.reads.length = 0;
    expect(await reader.jobEntries(0, "job-0003")).toEqual(expected);
    expect(store.reads.length).toBeGreaterThan(0); // more segments than the cache holds
    expect(store.reads.every((read) => holding.has(read))).toBe(true);

    store.reads.length = 0;
    expect(await reader.jobEntries(0, "job-9999")).toEqual([]);
    expect(store.reads).toEqual([]);
  });

  it("a job whose first event would come before any segment that holds it is not looked for in later segments: a guess naming long ago reads one segment", async () => {
    const store = new CountingStore(new FsArchiveStore(archive));
    const reader = readerOf(store);
    const firstMs = Number((SHARD0[0] as ArchivedEntry).id.split("-")[0]);
    // A fresh reader (no segment's job ids known yet): an id naming 1970 opens the first segment
    // only, to see when its first entry was written (ids run ahead of a clock that stepped back).
    expect(await reader.jobEntries(0, "job-9999", 0, 60_000)).toEqual([]);
    expect(store.reads).toEqual(["0/0"]);
    // Nor one naming a time inside the archive, past the segments of that time (and the next).
    expect(await reader.jobEntries(0, "job-9999", firstMs, firstMs + 25)).toEqual([]);
    expect(store.reads).toEqual(["0/0", "0/1", "0/2"]);
    // A job that is there is read whole: its later segments are opened once its first is found.
    const expected = SHARD0.filter((e) => jobIdOf(e) === "job-0003");
    const first = Number((expected[0] as ArchivedEntry).id.split("-")[0]);
    expect(await reader.jobEntries(0, "job-0003", first, first)).toEqual(expected);
  });

  it("with more segments than it caches, every answer is still right (and an evicted segment is read again)", async () => {
    const store = new CountingStore(new FsArchiveStore(archive));
    const reader = readerOf(store, { cachedSegments: 1 });
    for (let round = 0; round < 2; round++)
      for (const i of [5, 140, 33, 6, 88, 141, 0, 120])
        expect(await reader.entries(0, [(SHARD0[i] as ArchivedEntry).id])).toEqual(
          new Map([[(SHARD0[i] as ArchivedEntry).id, SHARD0[i]]]),
        );
    expect(await reader.range(0, "0-0", SHARD0.at(-1)?.id as string, 1_000)).toEqual(SHARD0);
    expect(store.reads.filter((read) => read === "0/0").length).toBeGreaterThan(1);
  });

  it("concurrent lookups share each read and verification: ten at once read what one does", async () => {
    const id = (SHARD0[75] as ArchivedEntry).id;
    const one = new CountingStore(new FsArchiveStore(archive));
    await readerOf(one).entries(0, [id]);
    const ten = new CountingStore(new FsArchiveStore(archive));
    const reader = readerOf(ten);
    const answers = await Promise.all(Array.from({ length: 10 }, () => reader.entries(0, [id])));
    expect(answers.every((found) => found.get(id) === answers[0]?.get(id) && found.size === 1)).toBe(true);
    expect([...ten.reads].sort()).toEqual([...one.reads].sort());
  });

  it("a segment changed on disk after it was verified and evicted is verified again, and refused", async () => {
    const dir = copyOfArchive();
    const reader = readerOf(new FsArchiveStore(dir), { cachedSegments: 1 });
    const id = (SHARD0[2] as ArchivedEntry).id;
    expect((await reader.entries(0, [id])).get(id)).toEqual(SHARD0[2]);
    await reader.entries(0, [(SHARD0[50] as ArchivedEntry).id]); // evicts segment 0
    const file = join(segmentDir(dir, 0, 0), SEGMENT_FILE);
    writeFileSync(file, readFileSync(file, "utf8").replace('"actor', '"actr'));
    const error = await corruption(() => reader.entries(0, [id]));
    expect([error.code, error.shard, error.segment]).toEqual(["root_mismatch", 0, 0]);
  });

  describe("refuses a segment that does not check out, with the finding's code", () => {
    const refused = async (
      tamper: (dir: string) => void,
      call: (reader: ArchiveReader) => Promise<unknown>,
      options: { publicKey?: Uint8Array; origin?: string } = {},
    ): Promise<{ code: ArchiveFindingCode; shard: number; segment: number }> => {
      const dir = copyOfArchive();
      tamper(dir);
      const error = await corruption(() => call(readerOf(new FsArchiveStore(dir), options)));
      expect(error._tag).toBe("ArchiveCorrupt");
      expect(error.message).toContain(`segment ${error.segment} of shard ${error.shard}`);
      return { code: error.code, shard: error.shard, segment: error.segment };
    };
    const inSegment2 = (reader: ArchiveReader) => reader.entries(0, [(SHARD0[25] as ArchivedEntry).id]);
    const edit = (dir: string, segment: number, file: string, change: (text: string) => string): void => {
      const path = join(segmentDir(dir, 0, segment), file);
      writeFileSync(path, change(readFileSync(path, "utf8")));
    };

    it("an edited entry line: root_mismatch (other segments still read)", async () => {
      expect(
        await refused(
          (dir) => edit(dir, 2, SEGMENT_FILE, (text) => text.replace('"actor', '"actr')),
          inSegment2,
        ),
      ).toEqual({ code: "root_mismatch", shard: 0, segment: 2 });
      const dir = copyOfArchive();
      edit(dir, 2, SEGMENT_FILE, (text) => text.replace('"actor', '"actr'));
      const reader = readerOf(new FsArchiveStore(dir));
      const id = (SHARD0[45] as ArchivedEntry).id;
      expect((await reader.entries(0, [id])).get(id)).toEqual(SHARD0[45]);
      await corruption(() => reader.range(0, "0-0", id, 1_000));
      await corruption(() => reader.jobEntries(0, "job-0001"));
    });

    it("a dropped line: size_mismatch", async () => {
      expect(
        await refused(
          (dir) => edit(dir, 2, SEGMENT_FILE, (text) => text.split("\n").slice(1).join("\n")),
          inSegment2,
        ),
      ).toMatchObject({ code: "size_mismatch", segment: 2 });
    });

    it("an edited checkpoint: signature_invalid", async () => {
      expect(
        await refused(
          (dir) =>
            edit(dir, 2, CHECKPOINT_FILE, (text) =>
              text.replace(/\nevents (\d+)\n/, (_, n) => `\nevents ${Number(n) + 1}\n`),
            ),
          inSegment2,
        ),
      ).toEqual({ code: "signature_invalid", shard: 0, segment: 2 });
    });

    it("another segment's files in its place: segment_misplaced", async () => {
      expect(
        await refused((dir) => {
          for (const file of [SEGMENT_FILE, CHECKPOINT_FILE])
            writeFileSync(join(segmentDir(dir, 0, 2), file), readFileSync(join(segmentDir(dir, 0, 1), file)));
        }, inSegment2),
      ).toMatchObject({ code: "segment_misplaced", segment: 2 });
    });

    it("signed with another key: unknown_key, on the first checkpoint it reads", async () => {
      const found = await refused(
        () => undefined,
        (reader) => reader.archivedThrough(0),
        { publicKey: testSigner().publicKey },
      );
      expect(found).toEqual({ code: "unknown_key", shard: 0, segment: 14 });
    });

    it("another deployment's archive: origin_mismatch", async () => {
      expect(await refused(() => undefined, inSegment2, { origin: "docket/other" })).toMatchObject({
        code: "origin_mismatch",
      });
    });

    it("a segment it lists but cannot read: segment_unreadable", async () => {
      expect(
        await refused((dir) => unlinkSync(join(segmentDir(dir, 0, 2), SEGMENT_FILE)), inSegment2),
      ).toEqual({ code: "segment_unreadable", shard: 0, segment: 2 });
    });
  });

  it("sees a segment committed after it listed the shard: when asked fresh, and when an id is past its end", async () => {
    const store = new FsArchiveStore(join(tempDir(), "archive"));
    const entries = spaced(syntheticEntries(3), 1_900_000_000_000);
    await archiveEntries(store, entries.slice(0, 20), { signer, segmentEntries: 10, origin: ORIGIN });
    const reader = readerOf(store);
    const before = (entries[19] as ArchivedEntry).id;
    expect(await reader.archivedThrough(0)).toBe(before);

    const files = await sealSegment({
      origin: ORIGIN,
      progress: progressAfter(0, (await store.read(0, 1)).checkpoint),
      entries: entries.slice(20),
      fence: 1,
      signer,
    });
    await store.commit(0, 2, files, 1);
    const after = (entries.at(-1) as ArchivedEntry).id;
    expect(await reader.archivedThrough(0)).toBe(before); // cached
    expect(await reader.archivedThrough(0, true)).toBe(after);

    const again = readerOf(store);
    expect(await again.archivedThrough(0)).toBe(after);
    const stale = readerOf(store);
    expect(await stale.archivedThrough(0)).toBe(after);
    await store.commit(
      0,
      3,
      await sealSegment({
        origin: ORIGIN,
        progress: progressAfter(0, files.checkpoint),
        entries: [{ id: "1999999999999-0", fields: ["jobId", "job-late", "seq", "1"] }],
        fence: 1,
        signer,
      }),
      1,
    );
    expect((await again.entries(0, ["1999999999999-0"])).get("1999999999999-0")?.fields[1]).toBe("job-late");
    expect(await again.archivedThrough(0)).toBe("1999999999999-0");
    expect(await stale.range(0, before, "1999999999999-0", 100)).toEqual([
      ...entries.slice(20),
      { id: "1999999999999-0", fields: ["jobId", "job-late", "seq", "1"] },
    ]);
  });
});
