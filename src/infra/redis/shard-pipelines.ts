/**
 * One round trip for commands on many shards, in a form a Redis Cluster can run.
 *
 * A Cluster client sends a pipeline to one node, and refuses one whose keys live on several; the
 * keys of a shard share one slot (keys.ts). So commands are grouped by shard — one pipeline per
 * shard, all sent at once, one round trip to each node concerned — and on a single Redis they all
 * go into one pipeline, as before. Replies come back in the order the commands were added, and
 * a failed command throws its error (`exec`), so callers read replies as from one pipeline.
 *
 * A command with no key (WAIT) joins the pipeline of the shard it is added to: on a cluster it
 * runs on that shard's node, after that shard's writes.
 */
import type { ChainableCommander } from "ioredis";
import type { RedisClient } from "./connection.ts";

/** Where the reply of each added command is: its shard's pipeline and its position there. */
type Slot = readonly [pipeline: ChainableCommander, position: number];

export class ShardPipelines {
  private readonly perShard = new Map<number, ChainableCommander>();
  private single: ChainableCommander | undefined;
  private readonly slots: Array<Slot> = [];

  constructor(private readonly client: RedisClient) {}

  /** Add commands on `shard`'s keys (`add` may add several); returns this for chaining. */
  on(shard: number, add: (pipeline: ChainableCommander) => unknown): this {
    const pipeline = this.pipelineOf(shard);
    const before = pipeline.length;
    add(pipeline);
    for (let position = before; position < pipeline.length; position++) this.slots.push([pipeline, position]);
    return this;
  }

  /**
   * Add commands to every pipeline there is so far (after what it carries: a WAIT after its
   * writes); returns their positions among the replies.
   */
  onEach(add: (pipeline: ChainableCommander) => unknown): ReadonlyArray<number> {
    const pipelines = this.single === undefined ? [...this.perShard.values()] : [this.single];
    const positions: Array<number> = [];
    for (const pipeline of pipelines) {
      const before = pipeline.length;
      add(pipeline);
      for (let position = before; position < pipeline.length; position++) {
        positions.push(this.slots.length);
        this.slots.push([pipeline, position]);
      }
    }
    return positions;
  }

  /** How many commands were added. */
  get length(): number {
    return this.slots.length;
  }

  /** Runs every pipeline at once; the replies in the order added (a failed command throws). */
  async exec(): Promise<Array<unknown>> {
    return (await this.settle()).map(([error, reply]) => {
      if (error) throw error;
      return reply;
    });
  }

  /** Runs every pipeline at once; each command's error or reply, in the order added. */
  async settle(): Promise<Array<[Error | null, unknown]>> {
    const pipelines = this.single === undefined ? [...this.perShard.values()] : [this.single];
    const replies = new Map<ChainableCommander, Array<[Error | null, unknown]>>();
    await Promise.all(
      pipelines.map(async (pipeline) => replies.set(pipeline, (await pipeline.exec()) ?? [])),
    );
    return this.slots.map(
      ([pipeline, position]) => replies.get(pipeline)?.[position] ?? [new Error("no reply"), null],
    );
  }

  private pipelineOf(shard: number): ChainableCommander {
    if (!this.client.isCluster) return (this.single ??= this.client.pipeline());
    let pipeline = this.perShard.get(shard);
    if (pipeline === undefined) this.perShard.set(shard, (pipeline = this.client.pipeline()));
    return pipeline;
  }
}
