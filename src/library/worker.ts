/**
 * A worker of the in-process API (ADR 0032): the composition root's worker (`openWorker`, with its
 * own connections and claim loops) behind `run()` and `stop()`. Created by `Docket.worker()`,
 * which stops the workers it made when it closes.
 */
import { checkedRateLimits, parseFairness, type RateLimit } from "../domain/index.ts";
import type { Handlers, WorkerInfo } from "../engine/worker/index.ts";
import { type DocketConfig, openWorker } from "../main.ts";
import type { HandlersFor, JobPayloads, JobType } from "./handlers.ts";

export interface WorkerOptions<P extends JobPayloads> {
  /** The handlers this worker runs, by job type: some or all of the deployment's job types. */
  readonly handlers: Partial<HandlersFor<P>>;
  /** The queues it takes work from (default `["default"]`). */
  readonly queues?: ReadonlyArray<string>;
  /** Handlers run at once (default 10). */
  readonly concurrency?: number;
  /** Its name in the worker registry and in the events it writes (default `worker`). */
  readonly name?: string;
  /** How long `stop()` lets running handlers finish before aborting them (default 10 s). */
  readonly graceMs?: number;
  /**
   * Run handlers in worker threads (ADR 0040), so that a timeout or a cancel stops even a handler
   * that never yields: the threads load `module` (a path or file URL; its `exportName`, default
   * "default", maps job type to handler — closures over this process's state do not cross), for
   * every job type or the `jobTypes` listed. Payloads and results cross by structured clone.
   */
  readonly isolation?: {
    readonly kind: "thread";
    readonly module: string | URL;
    readonly exportName?: string;
    readonly jobTypes?: ReadonlyArray<JobType<P>>;
  };
  /** Run what is runnable now, then stop by itself. */
  readonly burst?: boolean;
  /** Stop by itself after taking this many jobs. */
  readonly maxJobs?: number;
  /**
   * Global rate limits on starts, e.g. `[{ scope: "queue", name: "emails", count: 100, windowMs:
   * 1000 }]` or parsed from text with `parseRateLimits("queue:emails=100/1s")` (ADR 0039).
   */
  readonly rateLimits?: ReadonlyArray<RateLimit>;
  /**
   * Fairness between priority levels: `"strict"` (default: the highest level with work first) or
   * weights critical:high:normal:low such as `"8:4:2:1"`, which bound how long a low job waits.
   */
  readonly fairness?: string;
  /** Told of what the worker survives by itself (Redis away, a refused write); default: ignored. */
  readonly onError?: (error: unknown) => void;
}

export interface DocketWorker {
  /** Its id: its name and a unique suffix (the `actor.id` of the events it writes). */
  readonly id: string;
  /** Take and run jobs until stopped (or, with `burst` or `maxJobs`, until done); then release its connections. */
  run(): Promise<void>;
  /** Stop taking work; let running handlers finish within the grace period, hand the rest back. */
  stop(graceMs?: number): Promise<void>;
  /** What it runs now: the registry's view of it. */
  info(): WorkerInfo;
}

export const openDocketWorker = async <P extends JobPayloads>(
  config: DocketConfig,
  options: WorkerOptions<P>,
): Promise<DocketWorker> => {
  const opened = await openWorker(config, {
    name: options.name ?? "worker",
    queues: options.queues ?? ["default"],
    concurrency: options.concurrency ?? 10,
    // Typed handlers take narrower payloads than the engine's Json; the engine passes each job
    // the payload it was submitted with, which `submit` typed the same way.
    handlers: options.handlers as unknown as Handlers,
    ...(options.graceMs === undefined ? {} : { shutdownGraceMs: options.graceMs }),
    ...(options.isolation === undefined
      ? {}
      : { isolation: { ...options.isolation, module: String(options.isolation.module) } }),
    ...(options.burst === undefined ? {} : { burst: options.burst }),
    ...(options.maxJobs === undefined ? {} : { maxJobs: options.maxJobs }),
    onError: options.onError ?? (() => undefined),
    delivery: {
      rateLimits: options.rateLimits === undefined ? [] : checkedRateLimits(options.rateLimits),
      fairness: parseFairness(options.fairness ?? "strict"),
    },
  });
  const { worker } = opened;
  let ran: Promise<void> | undefined;
  const run = (): Promise<void> => (ran ??= worker.run().finally(() => opened.close()));
  return {
    id: worker.id,
    run,
    stop: async (graceMs) => {
      // Never run: stopping first means it never takes a job.
      if (ran === undefined) ran = worker.stop(graceMs).finally(() => opened.close());
      else await worker.stop(graceMs);
      await ran;
    },
    info: () => worker.info(),
  };
};
