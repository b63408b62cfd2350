/**
 * The archive room's Redis adapters (ADR 0028): the shard logs read raw, as the archive keeps
 * them (XRANGE, entry ids and fields, nothing decoded), and the archiver lease with its fencing
 * token (archiver-acquire.lua, archiver-renew.lua). Neither writes a shard's data.
 *
 * Lifetime: the caller owns the connection.
 */
import type { Redis } from "ioredis";
import type { ArchivedEntry } from "../../domain/index.ts";
import type { ArchiverLease, ShardLogReader } from "../../engine/archive/index.ts";
import { guarded } from "./connection.ts";
import { Keys } from "./keys.ts";
import { entriesAfter } from "./stream-entries.ts";
import { withScripts } from "./scripts.ts";

export class RedisShardLogReader implements ShardLogReader {
  readonly shards: number;
  private readonly keys: Keys;

  constructor(
    private readonly client: Redis,
    options: { readonly prefix: string; readonly shards: number },
  ) {
    this.keys = new Keys(options.prefix, options.shards);
    this.shards = options.shards;
  }

  readAfter(shard: number, afterId: string, count: number): Promise<ReadonlyArray<ArchivedEntry>> {
    return guarded(async () => {
      const raw = await entriesAfter(this.client, this.keys.log(shard), afterId, count);
      // An entry deleted while the read ran comes back without fields: it is not there.
      return raw.flatMap(([id, fields]) => (fields === null ? [] : [{ id, fields }]));
    });
  }
}

export class RedisArchiverLease implements ArchiverLease {
  private readonly keys: Keys;

  constructor(
    private readonly client: Redis,
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
