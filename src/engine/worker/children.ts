/**
 * What `ctx.children()` answers (ADR 0042): a job's dependencies, in the order named, each read
 * from its head as it is now — or, for one that has left Redis since it ended (ADR 0034), from
 * its history wherever it is kept (the archive, when this process is given it). A job without
 * dependencies costs no read.
 */
import { contextOf, statusOf } from "../../domain/index.ts";
import { archivedViews, type EventStore, type StoredHead } from "../write/index.ts";
import type { ChildOutcome } from "./handlers.ts";

export const childrenOf = async (
  store: Pick<EventStore, "loadHeads" | "readEventsMany">,
  head: StoredHead,
): Promise<ReadonlyArray<ChildOutcome>> => {
  const { dependencies } = contextOf(head.state);
  if (dependencies.length === 0) return [];
  const heads = await store.loadHeads(dependencies.map((d) => d.jobId));
  const gone = dependencies.filter((_, i) => (heads[i] ?? null) === null).map((d) => d.jobId);
  // An archive that cannot be read (none here, or unreachable) leaves those unknown (null).
  const archived = await archivedViews(store, gone).catch(() => new Map<string, null>());
  return dependencies.map((d, i) => {
    const child = heads[i] ?? null;
    if (child !== null)
      return {
        jobId: d.jobId,
        status: statusOf(child.state),
        onFailure: d.onFailure,
        child: d.child === true,
        result: contextOf(child.state).result,
        error: contextOf(child.state).lastError,
      };
    const view = archived.get(d.jobId) ?? null;
    return {
      jobId: d.jobId,
      status: view?.status ?? null,
      onFailure: d.onFailure,
      child: d.child === true,
      result: view?.result ?? null,
      error: view?.error ?? null,
    };
  });
};
