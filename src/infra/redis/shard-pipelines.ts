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
 *
 * After a failover or a slot move, a node refuses a shard's commands with MOVED. ioredis follows
 * that for a pipeline only when no command in it succeeded, and a WAIT (keyless) always does; so
 * a shard's pipeline whose keyed commands were all refused with the same MOVED — none of them
 * ran — is sent again, once the client has learned the new slot map (at most
 * MAX_REDIRECTED_RETRIES times). Anything else is handed back as it came (an ASK, a pipeline
 * partly run): the caller hears "unavailable".
 */
import type { ChainableCommander, Cluster } from "ioredis";
import type { RedisClient } from "./connection.ts";

/** How often a shard's pipeline refused whole with MOVED is sent again. */
export const MAX_REDIRECTED_RETRIES = 3;

/** Where the reply of each added command is: its shard's pipeline and its position there. */
type Slot = readonly [pipeline: ChainableCommander, position: number];

type Add = (pipeline: ChainableCommander) => unknown;

/** What was added to one pipeline, in order, so it can be built again; and its keyless positions. */
interface Recipe {
  readonly adds: Array<Add>;
  readonly keyless: Set<number>;
}

const MOVED = /^MOVED \d+ /;

export class ShardPipelines {
  private readonly perShard = new Map<number, ChainableCommander>();
  private single: ChainableCommander | undefined;
  private readonly slots: Array<Slot> = [];
  private readonly recipes = new Map<ChainableCommander, Recipe>();

  constructor(private readonly client: RedisClient) {}

  /** Add commands on `shard`'s keys (`add` may add several); returns this for chaining. */
  on(shard: number, add: Add): this {
    const pipeline = this.pipelineOf(shard);
    this.recipeOf(pipeline).adds.push(add);
    const before = pipeline.length;
    add(pipeline);
    for (let position = before; position < pipeline.length; position++) this.slots.push([pipeline, position]);
    return this;
  }

  /**
   * Add commands to every pipeline there is so far (after what it carries: a WAIT after its
   * writes); returns their positions among the replies.
   */
  onEach(add: Add): ReadonlyArray<number> {
    const pipelines = this.single === undefined ? [...this.perShard.values()] : [this.single];
    const positions: Array<number> = [];
    for (const pipeline of pipelines) {
      const recipe = this.recipeOf(pipeline);
      recipe.adds.push(add);
      const before = pipeline.length;
      add(pipeline);
      for (let position = before; position < pipeline.length; position++) {
        recipe.keyless.add(position);
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
    await Promise.all(pipelines.map(async (pipeline) => replies.set(pipeline, await this.run(pipeline))));
    return this.slots.map(
      ([pipeline, position]) => replies.get(pipeline)?.[position] ?? [new Error("no reply"), null],
    );
  }

  /** One pipeline's replies; built and sent again while a cluster refuses it whole with MOVED. */
  private async run(pipeline: ChainableCommander): Promise<Array<[Error | null, unknown]>> {
    const recipe = this.recipeOf(pipeline);
    let replies = (await pipeline.exec()) ?? [];
    for (let retry = 0; retry < MAX_REDIRECTED_RETRIES && this.refusedWhole(replies, recipe); retry++) {
      await new Promise<void>((resolve) => (this.client as Cluster).refreshSlotsCache(() => resolve()));
      const again = this.client.pipeline();
      for (const add of recipe.adds) add(again);
      replies = (await again.exec()) ?? [];
    }
    return replies;
  }

  /** Every keyed command refused with one and the same MOVED (so none of them ran). */
  private refusedWhole(replies: ReadonlyArray<[Error | null, unknown]>, recipe: Recipe): boolean {
    if (!this.client.isCluster) return false;
    let moved: string | undefined;
    for (const [position, [error]] of replies.entries()) {
      if (recipe.keyless.has(position)) continue;
      if (error === null || !MOVED.test(error.message)) return false;
      if (moved !== undefined && moved !== error.message) return false;
      moved = error.message;
    }
    return moved !== undefined;
  }

  private recipeOf(pipeline: ChainableCommander): Recipe {
    let recipe = this.recipes.get(pipeline);
    if (recipe === undefined) this.recipes.set(pipeline, (recipe = { adds: [], keyless: new Set() }));
    return recipe;
  }

  private pipelineOf(shard: number): ChainableCommander {
    if (!this.client.isCluster) return (this.single ??= this.client.pipeline());
    let pipeline = this.perShard.get(shard);
    if (pipeline === undefined) this.perShard.set(shard, (pipeline = this.client.pipeline()));
    return pipeline;
  }
}
