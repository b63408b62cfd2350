/**
 * The archive room's Redis adapters (ADR 0028): the shard logs read raw, as the archive keeps
 * them (XRANGE, entry ids and fields, nothing decoded), and the archiver lease with its fencing
 * token (archiver-acquire.lua, archiver-renew.lua). Neither writes a shard's data.
 *
 * Lifetime: the caller owns the connection.
 */
import { type ArchivedEntry, entryChars } from "../../domain/index.ts";
import type {
  ArchiverLease,
  PendingEntries,
  RetentionIndex,
  ShardLogReader,
} from "../../engine/archive/index.ts";
import { type RedisClient, guarded } from "./connection.ts";
import { Keys } from "./keys.ts";
import { entriesAfter } from "./stream-entries.ts";
import { withScripts } from "./scripts.ts";

/** Entries per XRANGE when the archiver reads a segment's worth. */
const READ_PAGE = 1_000;

/**
 * Pages under a `maxChars` bound: the first small, later ones sized from the entries read so far
 * and never above BOUNDED_PAGE, so a run of large entries after small ones (a 512 KB payload is
 * about 0.5 M characters) is not read a thousand at a time: at worst a page holds ~130 M.
 */
const FIRST_BOUNDED_PAGE = 100;
const BOUNDED_PAGE = 250;

export class RedisShardLogReader implements ShardLogReader {
  readonly shards: number;
  private readonly keys: Keys;

  constructor(
    private readonly client: RedisClient,
    options: { readonly prefix: string; readonly shards: number },
  ) {
    this.keys = new Keys(options.prefix, options.shards);
    this.shards = options.shards;
  }

  /**
   * In pages of READ_PAGE: a segment's 10,000 entries are about 6 MB of reply, and decoding it
   * in one piece would hold the event loop of the process the archiver shares for tens of
   * milliseconds. Under `maxChars`, pages are smaller and sized to what is left of it.
   */
  readAfter(
    shard: number,
    afterId: string,
    count: number,
    maxChars = Number.POSITIVE_INFINITY,
  ): Promise<ReadonlyArray<ArchivedEntry>> {
    return guarded(async () => {
      const entries: Array<ArchivedEntry> = [];
      let chars = 0;
      let after = afterId;
      while (entries.length < count && chars < maxChars) {
        const fits =
          maxChars === Number.POSITIVE_INFINITY
            ? READ_PAGE
            : entries.length === 0
              ? FIRST_BOUNDED_PAGE
              : Math.min(
                  BOUNDED_PAGE,
                  Math.max(1, Math.floor((maxChars - chars) / (chars / entries.length))),
                );
        const want = Math.min(READ_PAGE, count - entries.length, fits);
        const raw = await entriesAfter(this.client, this.keys.log(shard), after, want);
        for (const [id, fields] of raw) {
          // An entry deleted while the read ran comes back without fields: it is not there.
          if (fields === null) continue;
          if (chars >= maxChars) break;
          const entry = { id, fields };
          entries.push(entry);
          chars += entryChars(entry);
        }
        const last = raw[raw.length - 1];
        if (last === undefined || raw.length < want) break;
        after = last[0];
      }
      return entries;
    });
  }

  pending(shard: number, afterId: string): Promise<PendingEntries> {
    return guarded(async () => {
      const key = this.keys.log(shard);
      // Sent together (one round trip); the same key, so the same node on a cluster.
      const [oldest, length] = await Promise.all([
        entriesAfter(this.client, key, afterId, 1),
        this.client.xlen(key),
      ]);
      return { oldestId: oldest[0]?.[0] ?? null, atMost: length };
    });
  }

  trimThrough(shard: number, entryId: string): Promise<number> {
    return guarded(async () =>
      Number(
        await withScripts(this.client).docketTrim(
          2,
          this.keys.log(shard),
          this.keys.archivedThrough(shard),
          entryId,
        ),
      ),
    );
  }
}

/** The retention indexes append.lua keeps, and evict.lua (ADR 0034). */
export class RedisRetentionIndex implements RetentionIndex {
  readonly shards: number;
  private readonly keys: Keys;

  constructor(
    private readonly client: RedisClient,
    options: { readonly prefix: string; readonly shards: number },
  ) {
    this.keys = new Keys(options.prefix, options.shards);
    this.shards = options.shards;
  }

  due(
    shard: number,
    rule: "completed" | "cancelled" | "dead_letter" | "own",
    endedBy: number,
    limit: number,
    withOwnRetention = false,
  ): Promise<ReadonlyArray<string>> {
    return guarded(async () => {
      if (rule === "own")
        return this.client.zrangebyscore(this.keys.expires(shard), "-inf", endedBy, "LIMIT", 0, limit);
      if (withOwnRetention) {
        // A purge: the oldest `limit` of both indexes, by end time.
        const [plain, own] = await Promise.all(
          [this.keys.ended(shard, rule), this.keys.endedOwn(shard, rule)].map((key) =>
            this.client.zrangebyscore(key, "-inf", endedBy, "WITHSCORES", "LIMIT", 0, limit),
          ),
        );
        const scored: Array<{ id: string; ms: number }> = [];
        for (const pairs of [plain ?? [], own ?? []])
          for (let i = 0; i + 1 < pairs.length; i += 2)
            scored.push({ id: pairs[i] as string, ms: Number(pairs[i + 1]) });
        return scored
          .sort((x, y) => x.ms - y.ms)
          .slice(0, limit)
          .map(({ id }) => id);
      }
      // Only jobs under the deployment's retention are here (append.lua): nothing to skip.
      return this.client.zrangebyscore(this.keys.ended(shard, rule), "-inf", endedBy, "LIMIT", 0, limit);
    });
  }

  forget(shard: number, jobIds: ReadonlyArray<string>): Promise<void> {
    return guarded(async () => {
      if (jobIds.length === 0) return;
      // Checked against each head in the script (forget.lua): an entry a job got meanwhile stays.
      await withScripts(this.client).docketForget(1, this.keys.expires(shard), this.keys.shardTag(shard), [
        ...jobIds,
      ]);
    });
  }

  evictArchived(shard: number, limit: number, keysMs: number): Promise<ReadonlyArray<string>> {
    return guarded(
      async () =>
        (await withScripts(this.client).docketEvict(
          2,
          this.keys.evicting(shard),
          this.keys.archivedThrough(shard),
          this.keys.shardTag(shard),
          limit,
          keysMs,
        )) as Array<string>,
    );
  }
}

export class RedisArchiverLease implements ArchiverLease {
  private readonly keys: Keys;

  constructor(
    private readonly client: RedisClient,
    options: { readonly prefix: string },
  ) {
    this.keys = new Keys(options.prefix, 1);
  }

  acquire(holder: string, ttlMs: number, floor: number): Promise<number | null> {
    return guarded(async () => {
      const token = await withScripts(this.client).docketArchiverAcquire(
        2,
        this.keys.archiverLease(),
        this.keys.archiverFence(),
        holder,
        ttlMs,
        floor,
      );
      return token === null ? null : Number(token);
    });
  }

  renew(holder: string, token: number, ttlMs: number): Promise<boolean> {
    return guarded(async () => {
      const done = await withScripts(this.client).docketArchiverRenew(
        1,
        this.keys.archiverLease(),
        holder,
        token,
        ttlMs,
      );
      return Number(done) === 1;
    });
  }

  noteArchived(shard: number, segments: number): Promise<void> {
    return guarded(async () => {
      await withScripts(this.client).docketArchiverNote(1, this.keys.archiverProgress(), shard, segments);
    });
  }

  notedArchived(): Promise<ReadonlyMap<number, number>> {
    return guarded(async () => {
      const noted = await this.client.hgetall(this.keys.archiverProgress());
      return new Map(Object.entries(noted).map(([shard, segments]) => [Number(shard), Number(segments)]));
    });
  }

  release(holder: string, token: number): Promise<void> {
    return guarded(async () => {
      await withScripts(this.client).docketArchiverRenew(
        1,
        this.keys.archiverLease(),
        holder,
        token,
        "release",
      );
    });
  }
}
