/**
 * A job and the jobs it depends on, and theirs, read from their heads in Redis level by level
 * (one round trip per level), bounded in depth and in jobs so a wide or deep graph stays cheap
 * (ADR 0042). A job that has left Redis, or lies past a bound, is shown cut (`truncated`).
 */
import {
  contextOf,
  type Dependency,
  type DependencyEndStatus,
  endOf,
  type JobStatus,
  MAX_FLOW_DEPTH,
  MAX_FLOW_JOBS,
  statusOf,
} from "../../domain/index.ts";
import type { EventStore, StoredHead } from "./ports.ts";

export interface JobTree {
  readonly id: string;
  readonly type: string;
  readonly status: JobStatus | null;
  readonly onFailure?: Dependency["onFailure"];
  readonly child?: boolean;
  readonly ended?: DependencyEndStatus | null;
  readonly dependencies: ReadonlyArray<JobTree>;
  readonly truncated?: boolean;
}

/** Levels below the job a tree shows: a flow's depth, and one more for what its leaves name. */
export const MAX_TREE_DEPTH = MAX_FLOW_DEPTH + 1;
/** Jobs a tree shows at most (a flow's, twice over for what they name besides). */
export const MAX_TREE_JOBS = 2 * MAX_FLOW_JOBS;

interface Mutable {
  id: string;
  type: string;
  status: JobStatus | null;
  onFailure?: Dependency["onFailure"];
  child?: boolean;
  ended?: DependencyEndStatus | null;
  dependencies: Array<Mutable>;
  truncated?: boolean;
  head: StoredHead | null;
}

const nodeOf = (
  id: string,
  head: StoredHead | null,
  as?: { dependency: Dependency; ended: DependencyEndStatus | null },
): Mutable => ({
  id,
  type: head === null ? "?" : contextOf(head.state).jobType,
  status: head === null ? null : statusOf(head.state),
  ...(as === undefined
    ? {}
    : { onFailure: as.dependency.onFailure, child: as.dependency.child === true, ended: as.ended }),
  dependencies: [],
  ...(head === null ? { truncated: true } : {}),
  head,
});

const strip = (node: Mutable): JobTree => {
  const { head: _head, dependencies, ...rest } = node;
  return { ...rest, dependencies: dependencies.map(strip) };
};

/** The tree under `root` (whose head is given). */
export const jobTree = async (store: EventStore, root: StoredHead): Promise<JobTree> => {
  const top = nodeOf(root.jobId, root);
  let level: Array<Mutable> = [top];
  let shown = 1;
  for (let depth = 0; depth < MAX_TREE_DEPTH && level.length > 0; depth++) {
    const edges = level.flatMap((parent) => {
      if (parent.head === null) return [];
      const { dependencies, dependencyEnds } = contextOf(parent.head.state);
      return dependencies.map((dependency) => ({
        parent,
        dependency,
        ended: endOf(dependencyEnds, dependency.jobId) ?? null,
      }));
    });
    const room = Math.max(0, MAX_TREE_JOBS - shown);
    const taken = edges.slice(0, room);
    for (const { parent } of edges.slice(room)) parent.truncated = true;
    const heads = await store.loadHeads(taken.map((e) => e.dependency.jobId));
    const next: Array<Mutable> = [];
    taken.forEach(({ parent, dependency, ended }, i) => {
      const node = nodeOf(dependency.jobId, heads[i] ?? null, { dependency, ended });
      parent.dependencies.push(node);
      next.push(node);
    });
    shown += taken.length;
    level = next;
  }
  for (const node of level)
    if (node.head !== null && contextOf(node.head.state).dependencies.length > 0) node.truncated = true;
  return strip(top);
};
