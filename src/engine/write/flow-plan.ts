/**
 * A flow's plan (ADR 0042): the request decoded and bounded, every job given its id — the
 * parent's as a single submit's (its idempotency key's shard, if it has one), the others in the
 * parent's shard, so one all-or-nothing append creates them all — and each job's children.
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import { type FlowChild, FlowRequest, type SubmitRequest } from "../../contract/index.ts";
import { type FailurePolicy, findCycle, MAX_FLOW_DEPTH, MAX_FLOW_JOBS } from "../../domain/index.ts";
import { DependencyRefused, firstIssue, InvalidJobSpec } from "../shared/index.ts";
import { newJobIdInShard, shardOf } from "./job-ids.ts";

/** A child as its parent names it among its dependencies. */
export interface FlowChildRef {
  readonly jobId: string;
  readonly onFailure: FailurePolicy;
}

export interface PlannedJob {
  readonly jobId: string;
  /** Where its spec is in the request (`job`, `children.0.job`, ...), for error messages. */
  readonly path: string;
  readonly input: SubmitRequest;
  readonly children: ReadonlyArray<FlowChildRef>;
}

export interface FlowPlan {
  readonly rootId: string;
  /** Every job of the flow, the parent first. */
  readonly jobs: ReadonlyArray<PlannedJob>;
}

const decode = Schema.decodeUnknownResult(FlowRequest);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The flow's size and depth, counted on the raw request before it is decoded (so a hostile,
 * deeply nested body is refused before any recursive walk); stops counting past the bounds.
 */
const bounds = (input: unknown): InvalidJobSpec | undefined => {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: input, depth: 0 }];
  let jobs = 0;
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    jobs++;
    if (jobs > MAX_FLOW_JOBS)
      return new InvalidJobSpec({ field: "children", message: `a flow has at most ${MAX_FLOW_JOBS} jobs` });
    const children = isObject(node) ? node.children : undefined;
    if (!Array.isArray(children)) continue;
    if (children.length > 0 && depth + 1 > MAX_FLOW_DEPTH)
      return new InvalidJobSpec({
        field: "children",
        message: `a flow nests at most ${MAX_FLOW_DEPTH} levels of children under its parent`,
      });
    if (children.length > MAX_FLOW_JOBS)
      return new InvalidJobSpec({ field: "children", message: `a flow has at most ${MAX_FLOW_JOBS} jobs` });
    for (const child of children) stack.push({ node: child, depth: depth + 1 });
  }
  return undefined;
};

export const planFlow = (
  input: unknown,
  newId: (idempotencyKey: string | undefined) => string,
  shards: number,
): FlowPlan | InvalidJobSpec | DependencyRefused => {
  const tooBig = bounds(input);
  if (tooBig !== undefined) return tooBig;
  const decoded = decode(input, { onExcessProperty: "error" });
  if (Result.isFailure(decoded)) return new InvalidJobSpec(firstIssue(decoded.failure));
  const request = decoded.success;
  const rootId = newId(request.job.idempotencyKey);
  const shard = shardOf(rootId, shards);
  const jobs: Array<PlannedJob> = [];
  const visit = (
    jobId: string,
    path: string,
    job: SubmitRequest,
    children: ReadonlyArray<FlowChild>,
  ): InvalidJobSpec | undefined => {
    const ids = children.map(() => newJobIdInShard(shard, shards));
    jobs.push({
      jobId,
      path,
      input: job,
      children: children.map((child, i) => ({
        jobId: ids[i] as string,
        onFailure: child.onFailure ?? "fail",
      })),
    });
    for (const [i, child] of children.entries()) {
      const childPath = `${path === "job" ? "" : `${path.slice(0, -".job".length)}.`}children.${i}`;
      // A key names a job by its own shard; a child lives in its parent's.
      if (child.job.idempotencyKey !== undefined)
        return new InvalidJobSpec({
          field: `${childPath}.job.idempotencyKey`,
          message: "only a flow's parent may carry an idempotencyKey",
        });
      const refused = visit(ids[i] as string, `${childPath}.job`, child.job, child.children ?? []);
      if (refused !== undefined) return refused;
    }
    return undefined;
  };
  const refused = visit(rootId, "job", request.job, request.children);
  if (refused !== undefined) return refused;
  // The one rule: no job may wait for itself, through any chain (ADR 0042).
  const edges = new Map(
    jobs.map((job) => [
      job.jobId,
      [
        ...job.children.map((c) => c.jobId),
        ...(job.input.dependsOn ?? []).map((d) => (typeof d === "string" ? d : d.jobId)),
      ],
    ]),
  );
  const cycle = findCycle(edges);
  if (cycle !== undefined)
    return new DependencyRefused({
      code: "dependency_cycle",
      dependency: cycle[0] as string,
      message: `the flow's jobs would wait for each other: ${cycle.join(" -> ")}`,
    });
  return { rootId, jobs };
};
