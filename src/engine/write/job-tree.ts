/**
 * A job and the jobs it depends on, and theirs, read from their heads in Redis level by level
 * (one round trip per level), bounded in depth and in jobs so a wide or deep graph stays cheap
 * (ADR 0042). A job that has left Redis, or lies past a bound, is shown cut (`truncated`); one
 * that has left is shown as it ended, read from the archive (at most ARCHIVED_NODES of them).
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
import { viewOf } from "../read/index.ts";
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
/**
 * Jobs of a tree that have left Redis whose type and status are read from the archive, at most:
 * each read opens the segments of the job's time, so a wide tree of old jobs stays cheap. The
 * rest show the end their parent recorded, type "?".
 */
export const ARCHIVED_NODES = 20;

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

/**
 * Fill in the nodes of `level` that have left Redis (no head) from their archived histories,
 * while fewer than ARCHIVED_NODES have been; returns how many have been. Without one (no archive
 * here, or it cannot be read), a node keeps the end its parent recorded: the tree is a view, and
 * `truncated` already says it is not whole. Nothing is shown below such a node.
 */
const showArchived = async (
  store: EventStore,
  level: ReadonlyArray<Mutable>,
  done: number,
): Promise<number> => {
  const gone = level.filter((node) => node.head === null);
  for (const node of gone) if (node.ended !== undefined && node.ended !== null) node.status = node.ended;
  const read = gone.slice(0, Math.max(0, ARCHIVED_NODES - done));
  if (read.length === 0) return done;
  const histories = await store.readEventsMany(read.map((node) => node.id)).catch(() => null);
  read.forEach((node, i) => {
    const view = viewOf(histories?.[i] ?? []);
    if (view === null) return;
    node.type = view.type;
    node.status = view.status;
  });
  return done + read.length;
};

/** The tree under `root` (whose head is given). */
export const jobTree = async (store: EventStore, root: StoredHead): Promise<JobTree> => {
  const top = nodeOf(root.jobId, root);
  let level: Array<Mutable> = [top];
  let shown = 1;
  let archived = 0;
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
    archived = await showArchived(store, next, archived);
    shown += taken.length;
    level = next;
  }
  for (const node of level)
    if (node.head !== null && contextOf(node.head.state).dependencies.length > 0) node.truncated = true;
  return strip(top);
};
