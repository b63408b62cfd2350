/**
 * Flows and dependency trees (ADR 0042): `POST /v1/flows` (a parent job and its children,
 * children possibly with children, submitted at once, all or nothing) and `GET /v1/jobs/:id/tree`
 * (a job with the jobs it depends on, and theirs).
 */
import * as Schema from "effect/Schema";
import { DependencyEndStatus, FailurePolicy, JobId, MAX_FLOW_JOBS } from "../domain/index.ts";
import { JobStatus, SubmitRequest } from "./requests.ts";

/** A child of a flow: its job, what its failure does to its parent, and its own children. */
export interface FlowChild {
  readonly job: SubmitRequest;
  readonly onFailure?: FailurePolicy;
  readonly children?: ReadonlyArray<FlowChild>;
}

const Children = Schema.Array(Schema.suspend((): Schema.Codec<FlowChild> => FlowChild)).check(
  Schema.isMinLength(1),
  Schema.isMaxLength(MAX_FLOW_JOBS - 1),
);

export const FlowChild: Schema.Codec<FlowChild> = Schema.Struct({
  /** The child's job spec (as `POST /v1/jobs` takes it; no idempotencyKey). */
  job: SubmitRequest,
  /** What this child's failure does to its parent: fail (default), ignore or continue. */
  onFailure: Schema.optionalKey(FailurePolicy),
  children: Schema.optionalKey(Children),
});

/**
 * `POST /v1/flows`: the parent's job spec and its children. The parent waits for its children,
 * each child for its own; all of them are created in one atomic step, or none is. At most
 * MAX_FLOW_JOBS jobs in all, nested at most MAX_FLOW_DEPTH levels under the parent. Only the
 * parent may carry an idempotencyKey (a repeat answers the first flow).
 */
export const FlowRequest = Schema.Struct({
  job: SubmitRequest,
  children: Children,
});
export type FlowRequest = typeof FlowRequest.Type;

/** A job and the jobs it depends on, and theirs (a flow's jobs, or any `dependsOn`). */
export interface JobTree {
  readonly id: string;
  readonly type: string;
  /** Null for a job no longer in Redis. */
  readonly status: typeof JobStatus.Type | null;
  /** As a dependency of the job above it: its policy, whether it is that job's flow child, how it ended. */
  readonly onFailure?: FailurePolicy;
  readonly child?: boolean;
  readonly ended?: DependencyEndStatus | null;
  readonly dependencies: ReadonlyArray<JobTree>;
  /** Present (true) when the tree was cut here: too deep, too many jobs, or a job no longer in Redis. */
  readonly truncated?: boolean;
}

export const JobTree: Schema.Codec<JobTree> = Schema.Struct({
  id: JobId,
  type: Schema.String,
  status: Schema.NullOr(JobStatus),
  onFailure: Schema.optionalKey(FailurePolicy),
  child: Schema.optionalKey(Schema.Boolean),
  ended: Schema.optionalKey(Schema.NullOr(DependencyEndStatus)),
  dependencies: Schema.Array(Schema.suspend((): Schema.Codec<JobTree> => JobTree)),
  truncated: Schema.optionalKey(Schema.Boolean),
}).annotate({ identifier: "JobTree" });

/** `POST /v1/flows`: the flow as a tree of ids (and statuses); `created` false for a repeat. */
export const FlowSubmitted = Schema.Struct({
  created: Schema.Boolean,
  tree: JobTree,
}).annotate({ identifier: "FlowSubmitted" });
export type FlowSubmitted = typeof FlowSubmitted.Type;
