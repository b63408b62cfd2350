/**
 * The quarantine records in Redis (the QuarantineList port, ADR 0019): per shard, a hash
 * `<prefix>:{<shard>}:quarantine` from log entry id to the JSON record. `HSETNX` makes "already
 * quarantined" one atomic answer across every API process; nothing in Docket deletes a record.
 *
 * Records are read back as untrusted input (anyone with write access to Redis could edit them):
 * each is decoded with a schema, and one that does not decode, or names another entry than its
 * field, is set aside as malformed (the projector does not honour it; verify reports it).
 *
 * Lifetime: the caller owns the connection.
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import { Actor } from "../../domain/index.ts";
import type { QuarantineList, QuarantineRecord } from "../../engine/read/ports.ts";
import { firstIssue } from "../../engine/shared/index.ts";
import { guarded, type RedisClient } from "./connection.ts";
import { ShardPipelines } from "./shard-pipelines.ts";
import { Keys } from "./keys.ts";

const QuarantineRecordSchema = Schema.Struct({
  shard: Schema.Int,
  entryId: Schema.String,
  jobId: Schema.NullOr(Schema.String),
  digest: Schema.String,
  problem: Schema.String,
  reason: Schema.String,
  actor: Actor,
  at: Schema.String,
});

/** A stored record that could not be read as one. */
export interface MalformedQuarantine {
  readonly shard: number;
  readonly entryId: string;
  readonly problem: string;
}

const decodeRecord = (
  shard: number,
  entryId: string,
  text: string,
): QuarantineRecord | MalformedQuarantine => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { shard, entryId, problem: "the record is not JSON" };
  }
  const decoded = Schema.decodeUnknownResult(QuarantineRecordSchema)(parsed);
  if (Result.isFailure(decoded)) {
    const { field, message } = firstIssue(decoded.failure);
    return { shard, entryId, problem: `the record is malformed: ${field}: ${message}` };
  }
  const record = decoded.success;
  if (record.shard !== shard || record.entryId !== entryId)
    return { shard, entryId, problem: `the record names shard ${record.shard} entry ${record.entryId}` };
  return record;
};

const isRecord = (value: QuarantineRecord | MalformedQuarantine): value is QuarantineRecord =>
  "digest" in value;

export class RedisQuarantineList implements QuarantineList {
  private readonly keys: Keys;

  constructor(
    private readonly client: RedisClient,
    options: { readonly prefix: string; readonly shards: number },
  ) {
    this.keys = new Keys(options.prefix, options.shards);
  }

  /** Every record of every shard, the malformed ones apart. */
  read(): Promise<{
    readonly records: ReadonlyArray<QuarantineRecord>;
    readonly malformed: ReadonlyArray<MalformedQuarantine>;
  }> {
    return guarded(async () => {
      const pipelines = new ShardPipelines(this.client);
      for (const shard of this.keys.allShards())
        pipelines.on(shard, (p) => p.hgetall(this.keys.quarantine(shard)));
      const replies = await pipelines.exec();
      const all = this.keys.allShards().flatMap((shard) => {
        return Object.entries((replies[shard] ?? {}) as Record<string, string>).map(([entryId, text]) =>
          decodeRecord(shard, entryId, text),
        );
      });
      return { records: all.filter(isRecord), malformed: all.filter((r) => !isRecord(r)) };
    });
  }

  async all(): Promise<ReadonlyArray<QuarantineRecord>> {
    return (await this.read()).records;
  }

  add(record: QuarantineRecord): Promise<boolean> {
    return guarded(
      async () =>
        (await this.client.hsetnx(
          this.keys.quarantine(record.shard),
          record.entryId,
          JSON.stringify(record),
        )) === 1,
    );
  }
}
