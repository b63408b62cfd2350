/**
 * The Redis implementation of the auditor's read port (engine/audit/ports.ts). Read-only: it
 * returns what is stored, field by field, and leaves judging it to the audit code, so a
 * tampered entry is reported rather than thrown. Uses the layout of keys.ts and the entry
 * formats written by append.lua (shard log: jobId, seq, type, env; job history: the index of the
 * job's log entry ids, ADR 0027, read through history.lua).
 *
 * Lifetime: the caller owns the connection.
 */
import { Cluster, type Redis } from "ioredis";
import type {
  AuditSource,
  JobLocation,
  QuarantineSnapshot,
  RawHead,
  RawJobEntry,
  RawLogEntry,
} from "../../engine/audit/ports.ts";
import { type RedisClient, guarded } from "./connection.ts";
import { readLastStoredEntry, readStoredHistory, type StoredHistoryEntry } from "./job-history.ts";
import { CONSUMER_GROUP, Keys } from "./keys.ts";
import { streamField } from "./stream-entries.ts";
import { TieredLog } from "./tiered-log.ts";
import type { ArchivedLog } from "../../engine/read/ports.ts";
import { RedisQuarantineList } from "./redis-quarantine.ts";

/** Escape Redis glob characters, so a prefix is matched literally by SCAN MATCH. */
const globLiteral = (text: string): string => text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

export class RedisAuditSource implements AuditSource {
  readonly keys: Keys;
  private readonly quarantineList: RedisQuarantineList;
  private readonly tiered: TieredLog;

  constructor(
    private readonly client: RedisClient,
    options: {
      readonly prefix?: string;
      readonly shards?: number;
      /** Where entries trimmed from the shard logs are read (ADR 0034). */
      readonly archive?: ArchivedLog;
    } = {},
  ) {
    this.keys = new Keys(options.prefix ?? "docket", options.shards ?? 1);
    this.tiered = new TieredLog(client, this.keys, options.archive);
    this.quarantineList = new RedisQuarantineList(client, {
      prefix: this.keys.prefix,
      shards: this.keys.shards,
    });
  }

  quarantine(): Promise<QuarantineSnapshot> {
    return this.quarantineList.read();
  }

  get shards(): number {
    return this.keys.shards;
  }

  shardOf(jobId: string): number {
    return this.keys.shardOf(jobId);
  }

  /** Job ids with a head (hash) or a history (list) in the shard, found with SCAN (no KEYS). */
  jobIds(shard: number): Promise<ReadonlyArray<string>> {
    return guarded(async () => {
      const ids = new Set<string>();
      // A cluster's keys are spread over its masters: each is scanned (the shard's are on one).
      const nodes = this.client instanceof Cluster ? this.client.nodes("master") : [this.client];
      const scan = async (keyPrefix: string, type: "hash" | "list") => {
        for (const node of nodes) await scanNode(node, keyPrefix, type);
      };
      const scanNode = async (node: Redis, keyPrefix: string, type: "hash" | "list") => {
        let cursor = "0";
        do {
          const [next, keys] = await node.scan(
            cursor,
            "MATCH",
            `${globLiteral(keyPrefix)}*`,
            "COUNT",
            1000,
            "TYPE",
            type,
          );
          for (const key of keys) ids.add(key.slice(keyPrefix.length));
          cursor = next;
        } while (cursor !== "0");
      };
      await scan(this.keys.headPrefix(shard), "hash");
      await scan(this.keys.history(shard, ""), "list");
      return [...ids].sort();
    });
  }

  readJobHistory(jobId: string): Promise<ReadonlyArray<RawJobEntry>> {
    return guarded(async () =>
      (await readStoredHistory(this.client, this.keys, jobId, this.tiered)).map(toJobEntry),
    );
  }

  lastJobEntry(jobId: string): Promise<RawJobEntry | null> {
    return guarded(async () => {
      const last = await readLastStoredEntry(this.client, this.keys, jobId, this.tiered);
      return last === null ? null : toJobEntry(last);
    });
  }

  readShardLog(shard: number, afterId: string, count: number): Promise<ReadonlyArray<RawLogEntry>> {
    return guarded(async () => {
      const entries = await this.tiered.after(shard, afterId, count);
      return entries.map(([entryId, fields]) => ({
        shard,
        entryId,
        jobId: streamField(fields, "jobId"),
        seq: streamField(fields, "seq"),
        type: streamField(fields, "type"),
        env: streamField(fields, "env"),
      }));
    });
  }

  /** The entries a whole scan reads: those in Redis, and those trimmed into the archive. */
  logLength(shard: number): Promise<number> {
    return guarded(async () => {
      const [length, info] = await Promise.all([
        this.client.xlen(this.keys.log(shard)),
        this.tiered.archivedThrough(shard),
      ]);
      if (info === null) return length;
      // entries-added counts every entry ever appended; the trimmed ones are in the archive.
      const added = await this.entriesAdded(shard);
      return added ?? length;
    });
  }

  private async entriesAdded(shard: number): Promise<number | null> {
    const info = (await this.client.call("XINFO", "STREAM", this.keys.log(shard))) as Array<unknown>;
    for (let i = 0; i + 1 < info.length; i += 2) if (info[i] === "entries-added") return Number(info[i + 1]);
    return null;
  }

  readHead(jobId: string): Promise<RawHead | null> {
    return guarded(async () => {
      const [version, lastHash, status, attempt] = await this.client.hmget(
        this.keys.head(this.shardOf(jobId), jobId),
        "version",
        "lastHash",
        "status",
        "attempt",
      );
      if (version === null && lastHash === null && status === null && attempt === null) return null;
      return { version, lastHash, status, attempt } as RawHead;
    });
  }

  locate(jobId: string): Promise<JobLocation> {
    return guarded(async () => {
      const shard = this.shardOf(jobId);
      const [stream, entryId] = await this.client.hmget(
        this.keys.head(shard, jobId),
        "entryStream",
        "entryId",
      );
      const [delayed, dead, waiting] = await Promise.all([
        this.client.zscore(this.keys.delayed(shard), jobId),
        this.client.zscore(this.keys.dead(shard), jobId),
        this.client.zscore(this.keys.waiting(shard), jobId),
      ]);
      let inWorkStream = false;
      let pendingInGroup = false;
      if (typeof stream === "string" && typeof entryId === "string") {
        inWorkStream = (await this.client.xrange(stream, entryId, entryId)).length === 1;
        const pending = await this.client
          .xpending(stream, CONSUMER_GROUP, entryId, entryId, 1)
          .catch(() => [] as unknown[]); // no group yet: nothing is pending
        pendingInGroup = (pending as unknown[]).length > 0;
      }
      return {
        inWorkStream,
        pendingInGroup,
        delayed: delayed !== null,
        deadLettered: dead !== null,
        waiting: waiting !== null,
      };
    });
  }
}

/** An index element and the log entry it names, field by field (all null when the log lacks it). */
const toJobEntry = ({ entryId, fields, tier }: StoredHistoryEntry): RawJobEntry => ({
  entryId,
  inLog: fields !== null,
  tier,
  jobId: streamField(fields, "jobId"),
  seq: streamField(fields, "seq"),
  type: streamField(fields, "type"),
  env: streamField(fields, "env"),
});
