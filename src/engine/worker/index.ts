/**
 * The worker room's face (ADR 0021): a worker process's consumer — its claim loops, each job's
 * attempt and write chain, its background maintenance (leases, reclaim, due jobs, heartbeat) —
 * the handler contract user code implements, and the ports it needs (ports.ts). The API, the CLI
 * and the composition root import the worker room through this file only; infra imports this
 * file or ports.ts.
 */
export type * from "./ports.ts";
export {
  type Handler,
  type HandlerContext,
  type Handlers,
  NonRetryableError,
  StepError,
  type StepOptions,
  type WaitResult,
} from "./handlers.ts";
export type { RunningJob } from "./job-chain.ts";
export type { WorkerLifecycleEvent, WorkerObserver } from "./observer.ts";
export { Worker, type WorkerLane, type WorkerOptions } from "./worker.ts";
