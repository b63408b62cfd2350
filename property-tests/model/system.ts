/**
 * The real system a model run drives: its own key prefix on the suite's private redis-server
 * (AOF on, so it can be restarted), the engine, a real SQLite read side with its projector, and
 * the workers the commands start, crash, stop and stall. Nothing is mocked; the one piece of
 * fault injection is the stalled worker's lease renewal (see `startZombie`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contextOf } from "../../src/domain/index.ts";
import { DependencyFollower } from "../../src/engine/flows/index.ts";
import { systemClock } from "../../src/engine/shared/index.ts";
import { RedisDependencyLinks } from "../../src/infra/redis/redis-dependency-links.ts";
import type { Worker, WorkQueue } from "../../src/engine/worker/index.ts";
import { composeWorker, type OpenReadSide, openReadSide } from "../../src/main.ts";
import { makeEngine, type TestEngine } from "../../test/support/engine.ts";
import type { Durability } from "../../src/infra/redis/durability.ts";
import type { TestRedis } from "../../test/support/redis.ts";
import { waitFor } from "../../test/support/wait.ts";
import { Gates, modelHandlers, type StepRun } from "./behaviours.ts";

/** Short leases keep a run fast: a crashed worker's job is reclaimed within about a second. */
export const LEASE_MS = 400;

export interface LiveWorker {
  readonly worker: Worker;
  readonly done: Promise<void>;
}

export interface ZombieWorker extends LiveWorker {
  /** Stop renewing leases, reclaiming and claiming, as a process frozen by a GC pause or SIGSTOP. */
  stall(): void;
  /** Errors the worker reported (its refused completion shows up here). */
  readonly errors: Array<unknown>;
}

export class ModelSystem {
  readonly gates = new Gates();
  /** Runs of durable jobs' step functions (ADR 0043), checked at the end. */
  readonly stepRuns: Array<StepRun> = [];
  readonly workers: Array<LiveWorker> = [];
  readonly errors: Array<unknown> = [];
  readSide: OpenReadSide;
  /** The dependency follower (ADR 0042), running for the whole run as every process runs one. */
  readonly follower: DependencyFollower;
  private readonly others: Array<LiveWorker> = [];
  private workerCount = 0;
  /** Workers whose run() failed (see newWorker). */
  readonly exited = new Set<Worker>();

  private constructor(
    readonly redis: TestRedis,
    readonly engine: TestEngine,
    readonly dir: string,
  ) {
    this.readSide = this.openReadSide();
    this.follower = new DependencyFollower({
      store: engine.store,
      links: new RedisDependencyLinks(engine.client, engine.store.keys),
      clock: systemClock,
      id: "model-follower",
      intervalMs: 25,
    });
    this.follower.start();
  }

  /** `durability`: what a write waits for (on a cluster, `replicated`: a master may be killed). */
  static async open(redis: TestRedis, durability?: Durability): Promise<ModelSystem> {
    const engine = await makeEngine(redis.url, durability === undefined ? {} : { durability });
    return new ModelSystem(redis, engine, mkdtempSync(join(tmpdir(), "docket-model-")));
  }

  get prefix(): string {
    return this.engine.prefix;
  }

  private openReadSide(): OpenReadSide {
    const readSide = openReadSide({
      redisUrl: this.redis.url,
      prefix: this.engine.prefix,
      shards: 1,
      leaseMs: LEASE_MS,
      dbPath: join(this.dir, "docket.sqlite"),
      projector: { blockMs: 50, retryInitialMs: 50, retryMaxMs: 500, onError: () => {} },
    });
    readSide.projector.start();
    return readSide;
  }

  /** Close the read side (projector stopped, file closed) and open it again on the same file. */
  async restartProjector(): Promise<void> {
    await this.readSide.close();
    this.readSide = this.openReadSide();
  }

  /** SIGKILL redis-server and start it again on its AOF; wait until the engine can write. */
  async restartRedis(): Promise<void> {
    await this.redis.restart();
    await waitFor(
      () =>
        this.engine.client.ping().then(
          () => true,
          () => false,
        ),
      "Redis to answer after its restart",
      20_000,
    );
  }

  private newWorker(
    queues: ReadonlyArray<string>,
    queue: (store: WorkQueue) => WorkQueue,
    errors: Array<unknown>,
  ) {
    return async (concurrency: number): Promise<LiveWorker> => {
      // Two claim loops, each on its own connections, as `docket worker` runs (ADR 0013); a
      // worker of concurrency 1 uses one.
      const lanes = [await this.engine.workerPorts(), await this.engine.workerPorts()].map((ports) => ({
        ...ports,
        queue: queue(ports.queue),
      }));
      const worker = composeWorker(lanes, {
        name: `model-${++this.workerCount}`,
        queues,
        concurrency,
        clock: systemClock,
        leaseMs: LEASE_MS,
        blockMs: 50,
        heartbeatMs: 200,
        schedulerIntervalMs: 25,
        shutdownGraceMs: 50,
        handlers: modelHandlers(this.gates, {
          stepRuns: this.stepRuns,
          suspensions: (jobId) => this.suspensions(jobId),
        }),
        onError: (error) => errors.push(error),
      });
      // run() rejects when Redis fails under it before its loop starts (ensureGroups during a
      // restart): the worker is gone, as a worker process would exit; drain() starts another.
      const done = worker.run().catch((error: unknown) => {
        errors.push(error);
        this.exited.add(worker);
      });
      return { worker, done };
    };
  }

  /** A job's suspensions so far, read from its head; retried through a Redis restart. */
  async suspensions(jobId: string): Promise<number> {
    for (let tries = 0; ; tries++) {
      try {
        const head = await this.engine.store.loadHead(jobId);
        return head === null ? 0 : contextOf(head.state).suspensions;
      } catch (error) {
        if (tries > 100) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** A worker on the default queue, kept in `workers` until crashed or stopped. */
  async startWorker(concurrency = 3): Promise<LiveWorker> {
    const live = await this.newWorker(["default"], (q) => q, this.errors)(concurrency);
    this.workers.push(live);
    return live;
  }

  /** A plain worker on other queues, owned by one command (a zombie's reclaimer). */
  async startHelper(queues: ReadonlyArray<string>): Promise<LiveWorker> {
    const live = await this.newWorker(queues, (q) => q, this.errors)(1);
    this.others.push(live);
    return live;
  }

  /**
   * A worker whose lease renewal can be frozen: once stalled, from Redis's point of view it is a
   * process that stopped answering (its entries go idle and are reclaimed), yet its handlers
   * run on and it records their outcomes when they end, as a process waking from a pause would.
   */
  async startZombie(queue: string): Promise<ZombieWorker> {
    let stalled = false;
    const errors: Array<unknown> = [];
    const frozen = (store: WorkQueue): WorkQueue => ({
      ensureGroups: (queues) => store.ensureGroups(queues),
      claim: (consumer, queues, count) =>
        stalled ? Promise.resolve([]) : store.claim(consumer, queues, count),
      waitForWork: (consumer, queues, blockMs) =>
        stalled
          ? new Promise((resolve) => setTimeout(() => resolve([]), blockMs))
          : store.waitForWork(consumer, queues, blockMs),
      renew: (consumer, entries) => (stalled ? Promise.resolve([]) : store.renew(consumer, entries)),
      reclaim: (consumer, queues, minIdleMs, count) =>
        stalled ? Promise.resolve([]) : store.reclaim(consumer, queues, minIdleMs, count),
      discard: (consumer, entry) => store.discard(consumer, entry),
      release: (consumer, entries, idleMs) =>
        stalled ? Promise.resolve() : store.release(consumer, entries, idleMs),
      dueJobs: (nowMs, limit) => (stalled ? Promise.resolve([]) : store.dueJobs(nowMs, limit)),
      deadLetters: (limit) => store.deadLetters(limit),
      depth: (...args) => store.depth(...args),
      depthCells: (...args) => store.depthCells(...args),
    });
    const live = await this.newWorker([queue], frozen, errors)(1);
    this.others.push(live);
    return { ...live, errors, stall: () => (stalled = true) };
  }

  /** Crash (drop everything, record nothing) one of the live default-queue workers. */
  async crashWorker(index: number): Promise<void> {
    const [live] = this.workers.splice(index % this.workers.length, 1);
    await live?.worker.crash().catch(() => {});
  }

  /** Stop one of the live default-queue workers gracefully (in-flight attempts fail as shutdown). */
  async stopWorker(index: number): Promise<void> {
    const [live] = this.workers.splice(index % this.workers.length, 1);
    await live?.worker.stop(50).catch(() => {});
  }

  async stopAllWorkers(): Promise<void> {
    const all = [...this.workers.splice(0), ...this.others.splice(0)];
    await Promise.all(all.map((w) => w.worker.stop(200).catch(() => {})));
  }

  /**
   * Wait until the projector has applied the whole log (the log is quiet: workers stopped), and
   * its connections are up: after a Redis restart the read side's clients may still be in their
   * reconnect backoff when the engine's already answers, and the checks that follow (the read
   * side's own `check`) are one-shot calls that fail fast rather than wait, as `ready` documents.
   */
  async projectorCaughtUp(): Promise<void> {
    const { client, store } = this.engine;
    await this.readSide.ready(20_000);
    await waitFor(
      async () => {
        const checkpoints = new Map(this.readSide.reads.checkpoints().map((c) => [c.shard, c.entryId]));
        for (const shard of store.keys.allShards()) {
          const [last] = await client.xrevrange(store.keys.log(shard), "+", "-", "COUNT", 1);
          if (last !== undefined && checkpoints.get(shard) !== last[0]) return false;
        }
        return true;
      },
      "the projector to apply the whole log",
      20_000,
    );
  }

  async close(): Promise<void> {
    await this.follower.stop();
    const all = [...this.workers.splice(0), ...this.others.splice(0)];
    await Promise.all(all.map((w) => w.worker.crash().catch(() => {})));
    await this.readSide.close().catch(() => {});
    await this.engine.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
