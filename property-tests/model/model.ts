/** What the model knows: the submits the engine accepted and what the test asked of each job. */
import type { FailurePolicy } from "../../src/domain/index.ts";
import type { Behaviour, Durable } from "./behaviours.ts";

export interface ModelJob {
  readonly id: string;
  readonly script: ReadonlyArray<Behaviour>;
  readonly maxAttempts: number;
  readonly key?: string;
  readonly durable?: Durable;
  /** How many submits (first one and duplicates) answered with this job. */
  submits: number;
  /** A cancel of it was accepted: it must end cancelled. */
  cancelled: boolean;
  /** The jobs it depends on (ADR 0042), as submitted; flow children marked `child`. */
  readonly dependsOn?: ReadonlyArray<{
    readonly jobId: string;
    readonly onFailure: FailurePolicy;
    readonly child: boolean;
  }>;
  /** A flow parent of it was cancelled: its cascade may have cancelled it. */
  mayBeCancelled?: boolean;
}

export interface ZombieRecord {
  readonly jobId: string;
  /** The stalled worker's actor id and the attempt whose lease it lost. */
  readonly workerId: string;
  readonly attempt: number;
}

export interface Model {
  readonly jobs: Map<string, ModelJob>;
  /** Idempotency key → the job every submit with that key must resolve to. */
  readonly byKey: Map<string, string>;
  readonly zombies: Array<ZombieRecord>;
  liveWorkers: number;
  /** What ran, in order, with what the system answered (printed on failure). */
  readonly trace: Array<string>;
  /** Violations seen while commands ran (checked again at the end). */
  readonly violations: Array<string>;
}

export const newModel = (): Model => ({
  jobs: new Map(),
  byKey: new Map(),
  zombies: [],
  liveWorkers: 0,
  trace: [],
  violations: [],
});

/** The n-th accepted job (wrapping), for commands that target "some job". */
export const nthJob = (model: Model, n: number): ModelJob | undefined => {
  const jobs = [...model.jobs.values()];
  return jobs.length === 0 ? undefined : jobs[n % jobs.length];
};
