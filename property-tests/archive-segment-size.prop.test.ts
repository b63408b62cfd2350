/**
 * Segments of any entries stay within their size bound (ADR 0028, amended): on a real Redis and
 * a real archive directory, for logs of entries of any size (empty to larger than the bound) and
 * any bound, (1) a bounded read gives exactly the prefix the bound allows — up to and including
 * the entry that reaches it, never nothing — and (2) the archiver seals every entry once, in
 * order, in segments whose text stays under the bound until their last entry. Found by hand: a
 * segment of a few hundred 512 KB payloads used to outgrow the longest string, and archiving
 * stopped for good.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ArchivedEntry, entryChars, parseArchivedEntryLine } from "../src/domain/index.ts";
import { FsArchiveStore } from "../src/infra/archive/fs-archive-store.ts";
import type { RedisClient } from "../src/infra/redis/connection.ts";
import { connect, whenReady } from "../src/infra/redis/connection.ts";
import { Keys } from "../src/infra/redis/keys.ts";
import { RedisShardLogReader } from "../src/infra/redis/redis-archive.ts";
import { archiveDirOf, composeArchiver } from "../src/main.ts";
import { startRedis, type TestRedis, uniquePrefix } from "../test/support/redis.ts";

let redis: TestRedis;
let client: RedisClient;
const dir = mkdtempSync(join(tmpdir(), "docket-segment-size-"));

beforeAll(async () => {
  redis = await startRedis();
  client = await whenReady(connect({ url: redis.url }));
});
afterAll(async () => {
  client.disconnect();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A shard log of entries whose `env` fields have the given lengths (quotes: they escape). */
const logOf = async (
  sizes: ReadonlyArray<number>,
): Promise<{ prefix: string; all: Array<ArchivedEntry> }> => {
  const prefix = uniquePrefix();
  const key = new Keys(prefix, 1).log(0);
  const pipeline = client.pipeline();
  sizes.forEach((size, i) => pipeline.xadd(key, "*", "jobId", `job-${i}`, "env", '"'.repeat(size)));
  await pipeline.exec();
  const raw = (await client.xrange(key, "-", "+")) as Array<[string, Array<string>]>;
  return { prefix, all: raw.map(([id, fields]) => ({ id, fields })) };
};

/** The reference: up to `count` entries, stopping after the one that brings the text to `maxChars`. */
const boundedPrefix = (from: ReadonlyArray<ArchivedEntry>, count: number, maxChars: number) => {
  const out: Array<ArchivedEntry> = [];
  let chars = 0;
  for (const entry of from.slice(0, count)) {
    if (chars >= maxChars) break;
    out.push(entry);
    chars += entryChars(entry);
  }
  return out;
};

const sizesArb = fc.array(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 6_000 })), {
  minLength: 1,
  maxLength: 250,
});

describe("segment size", () => {
  it("a bounded read gives exactly the prefix the bound allows, at least one entry, for any sizes, position, count and bound", async () => {
    await fc.assert(
      fc.asyncProperty(
        sizesArb,
        fc.nat(),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 200_000 }),
        async (sizes, start, count, maxChars) => {
          const { prefix, all } = await logOf(sizes);
          const after = start % all.length;
          const reader = new RedisShardLogReader(client, { prefix, shards: 1 });
          const afterId = after === 0 ? "0-0" : (all[after - 1]?.id ?? "0-0");
          const read = await reader.readAfter(0, afterId, count, maxChars);
          expect(read).toEqual(boundedPrefix(all.slice(after), count, maxChars));
          expect(read.length).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("the archiver seals every entry once, in order, each segment under its bound until its last entry", async () => {
    await fc.assert(
      fc.asyncProperty(
        sizesArb,
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40_000 }),
        async (sizes, segmentEntries, segmentMaxChars) => {
          const { prefix, all } = await logOf(sizes);
          const archiver = composeArchiver(
            // An hour ahead: the last, partial segment is due too.
            { client, prefix, shards: 1, clock: { now: () => Date.now() + 3_600_000 } },
            {
              archiveDir: join(dir, "archive"),
              dataDir: dir,
              segmentEntries,
              segmentMaxChars,
              maxAgeMs: 10,
              trim: false,
            },
          );
          await archiver.runOnce();
          await archiver.stop();
          const store = new FsArchiveStore(archiveDirOf(join(dir, "archive"), prefix));
          const archived: Array<ArchivedEntry> = [];
          for (const segment of await store.segments(0)) {
            const { segment: text } = await store.read(0, segment);
            const entries = text
              .slice(0, -1)
              .split("\n")
              .map((line) => parseArchivedEntryLine(line) as ArchivedEntry);
            expect(entries.length).toBeLessThanOrEqual(segmentEntries);
            expect(entries.slice(0, -1).reduce((n, e) => n + entryChars(e), 0)).toBeLessThan(segmentMaxChars);
            archived.push(...entries);
          }
          expect(archived).toEqual(all);
        },
      ),
      { numRuns: 25 },
    );
  });
});
