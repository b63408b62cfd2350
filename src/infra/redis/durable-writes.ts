/**
 * Waiting for DOCKET_DURABILITY (durability.ts, ADR 0047): a WAIT (or WAITAOF) after each
 * pipeline of writes, and what its reply means.
 */
import { QueueUnavailable } from "../../engine/shared/index.ts";
import type { RedisClient } from "./connection.ts";
import type { Durability } from "./durability.ts";
import type { ShardPipelines } from "./shard-pipelines.ts";

/** Nothing was written: the server cannot give the durability asked for. */
const refusal = (why: string): QueueUnavailable =>
  new QueueUnavailable({ message: `DOCKET_DURABILITY=fsync refused: ${why}`, outcome: "not_written" });

/**
 * What a write waits for, added to each pipeline that carries writes: a reply check per
 * pipeline. With `fsync` on a server without WAITAOF nothing is added (the server fsyncs every
 * write before replying: `prepare` made sure of it).
 */
export class DurableWrites {
  private waitAof: boolean | undefined;

  constructor(
    private readonly client: RedisClient,
    readonly durability: Durability,
  ) {}

  get waits(): boolean {
    return (
      this.durability.mode === "replicated" || (this.durability.mode === "fsync" && this.waitAof === true)
    );
  }

  /**
   * Before the first write (and at start-up, `RedisEventStore.prepare`): for `fsync`, find out
   * whether the server offers WAITAOF, and if not that it fsyncs every write; refuses a server
   * that does neither (QueueUnavailable, nothing written: the API answers 503 and says why).
   */
  async prepare(): Promise<void> {
    if (this.durability.mode !== "fsync" || this.waitAof !== undefined) return;
    if (this.client.isCluster) throw refusal("it is for a single Redis; on a cluster use replicated");
    const info = (await this.client.call("COMMAND", "INFO", "WAITAOF")) as Array<unknown>;
    if (Array.isArray(info) && info[0] !== null && info[0] !== undefined) {
      this.waitAof = true;
      return;
    }
    const config = (await this.client.call("CONFIG", "GET", "append*").catch((error: unknown) => {
      throw refusal(
        `this Redis has no WAITAOF (7.2+) and does not let Docket read its configuration (${String(error)}) to see that it fsyncs every write`,
      );
    })) as Array<string>;
    const value = (name: string) => config[config.indexOf(name) + 1];
    if (value("appendonly") !== "yes" || value("appendfsync") !== "always")
      throw refusal(
        `it needs a Redis with WAITAOF (7.2+) or one that fsyncs every write (appendonly yes, appendfsync always); this one has appendonly ${value("appendonly") ?? "?"}, appendfsync ${value("appendfsync") ?? "?"}`,
      );
    this.waitAof = false;
  }

  /** Adds the wait to every pipeline of `pipelines` (after their writes); call `check` on the replies. */
  addTo(pipelines: ShardPipelines): ReadonlyArray<number> {
    const { durability } = this;
    if (!this.waits || durability.mode === "async") return [];
    return pipelines.onEach((p) =>
      durability.mode === "replicated"
        ? p.call("WAIT", durability.replicas, durability.timeoutMs)
        : p.call("WAITAOF", 1, 0, durability.timeoutMs),
    );
  }

  /** Throws QueueUnavailable (outcome unknown) when a wait's reply falls short. */
  check(replies: ReadonlyArray<unknown>, positions: ReadonlyArray<number>): void {
    const { durability } = this;
    if (durability.mode === "async") return;
    for (const position of positions) {
      const reply = replies[position];
      const short =
        durability.mode === "replicated"
          ? Number(reply) < durability.replicas
          : !Array.isArray(reply) || Number(reply[0]) < 1;
      if (short)
        throw new QueueUnavailable({
          message:
            durability.mode === "replicated"
              ? `the write reached ${Number(reply)} of ${durability.replicas} replica(s) within ${durability.timeoutMs} ms (DOCKET_DURABILITY=replicated): it may be lost in a failover`
              : `the write was not fsynced within ${durability.timeoutMs} ms (DOCKET_DURABILITY=fsync)`,
          outcome: "unknown",
        });
    }
  }
}
