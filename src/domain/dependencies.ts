/**
 * Dependencies between jobs (issue 18, ADR 0042): what a job waits for, what happens when one of
 * them fails, and — as pure functions of the job's context — whether the job may now be released,
 * must fail by policy, or still waits.
 *
 * A dependency "ends" when its job reaches a terminal state: completed, dead_letter or cancelled.
 * Its end is recorded on the waiting job (DependencyEnded) by the dependency follower; a
 * dead-lettered dependency that is retried and then completes is recorded again, as completed.
 */
import * as Schema from "effect/Schema";
import { JobId } from "./job-id.ts";
import { MAX_DEPENDENCIES } from "./limits.ts";

/**
 * What a dependency's failure (dead_letter or cancelled) does to the job waiting for it:
 * - `fail` (default): the waiting job is dead-lettered by policy (JobFailedByDependency);
 * - `ignore`: the failure counts as an end like a completion; the job waits for the others;
 * - `continue`: the job is released at once, without waiting for the others, and its handler
 *   sees the failure in `ctx.children()`.
 */
export const FailurePolicy = Schema.Literals(["fail", "ignore", "continue"]);
export type FailurePolicy = typeof FailurePolicy.Type;

/** How a dependency ended: the terminal states. */
export const DependencyEndStatus = Schema.Literals(["completed", "dead_letter", "cancelled"]);
export type DependencyEndStatus = typeof DependencyEndStatus.Type;

/** A failed end: one the failure policy applies to. */
export const DependencyFailureStatus = Schema.Literals(["dead_letter", "cancelled"]);
export type DependencyFailureStatus = typeof DependencyFailureStatus.Type;

export const isDependencyEnd = (status: string): status is DependencyEndStatus =>
  status === "completed" || status === "dead_letter" || status === "cancelled";

/**
 * One dependency as the JobSubmitted spec records it. `child`: it was submitted as this job's
 * child in a flow, so cancelling this job cancels it while it is unfinished (a job merely named
 * by `dependsOn` may be shared, and is left alone).
 */
export const Dependency = Schema.Struct({
  jobId: JobId,
  onFailure: FailurePolicy,
  child: Schema.optionalKey(Schema.Literal(true)),
});
export type Dependency = typeof Dependency.Type;

const distinctIds = (deps: ReadonlyArray<Dependency>): boolean =>
  new Set(deps.map((d) => d.jobId)).size === deps.length;

/** A job's dependencies: 1 to MAX_DEPENDENCIES, each job named once. */
export const Dependencies = Schema.Array(Dependency).check(
  Schema.isMinLength(1),
  Schema.isMaxLength(MAX_DEPENDENCIES),
  Schema.makeFilter(distinctIds, { expected: "each dependency named once" }),
);

/** The last recorded end of each dependency that has ended, by job id. */
export type DependencyEnds = Readonly<Record<string, DependencyEndStatus>>;

/**
 * A dependency's recorded end, or undefined: own members only, so an id such as `constructor`
 * (which no job has, but a hand-made history may name) never reads what Object.prototype lends.
 */
export const endOf = (ends: DependencyEnds, jobId: string): DependencyEndStatus | undefined =>
  Object.hasOwn(ends, jobId) ? ends[jobId] : undefined;

/** What a waiting job's recorded dependency ends call for. */
export type DependencyOutcome =
  | { readonly _tag: "Wait" }
  | { readonly _tag: "Release" }
  | { readonly _tag: "Fail"; readonly dependency: string; readonly status: DependencyFailureStatus };

const failed = (status: DependencyEndStatus | undefined): status is DependencyFailureStatus =>
  status === "dead_letter" || status === "cancelled";

/**
 * The outcome of the ends recorded so far: a failed `fail` dependency fails the job (the first
 * in the order they were named); else a failed `continue` one releases it; else it is released
 * when every dependency has completed or failed under `ignore`; else it waits.
 */
export const dependencyOutcome = (
  dependencies: ReadonlyArray<Dependency>,
  ends: DependencyEnds,
): DependencyOutcome => {
  for (const d of dependencies) {
    const end = endOf(ends, d.jobId);
    if (d.onFailure === "fail" && failed(end)) return { _tag: "Fail", dependency: d.jobId, status: end };
  }
  if (dependencies.some((d) => d.onFailure === "continue" && failed(endOf(ends, d.jobId))))
    return { _tag: "Release" };
  const settled = dependencies.every((d) => {
    const end = endOf(ends, d.jobId);
    return end === "completed" || (end !== undefined && d.onFailure === "ignore");
  });
  return settled ? { _tag: "Release" } : { _tag: "Wait" };
};

/** The dependencies that have not ended yet (as far as the job's history says). */
export const unfinishedDependencies = (
  dependencies: ReadonlyArray<Dependency>,
  ends: DependencyEnds,
): ReadonlyArray<Dependency> => dependencies.filter((d) => !Object.hasOwn(ends, d.jobId));

/**
 * A cycle in a dependency graph (edges from a job to the jobs it depends on), as the ids along
 * it, or undefined. Jobs submitted one at a time cannot form one (a new job's id is fresh, and
 * only existing jobs may be named); a flow's tree cannot either. The check is kept at submit as
 * the one rule that says so, whatever shapes submission comes to allow (ADR 0042).
 */
export const findCycle = (
  edges: ReadonlyMap<string, ReadonlyArray<string>>,
): ReadonlyArray<string> | undefined => {
  const state = new Map<string, "open" | "done">();
  const path: Array<string> = [];
  const visit = (node: string): ReadonlyArray<string> | undefined => {
    const seen = state.get(node);
    if (seen === "done") return undefined;
    if (seen === "open") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "open");
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
};
