/**
 * What `ctx.children()` answers (ADR 0042): a job's dependencies, in the order named, each read
 * from its head as it is now. A job without dependencies costs no read.
 */
import { contextOf, statusOf } from "../../domain/index.ts";
import type { EventStore, StoredHead } from "../write/index.ts";
import type { ChildOutcome } from "./handlers.ts";

export const childrenOf = async (
  store: Pick<EventStore, "loadHeads">,
  head: StoredHead,
): Promise<ReadonlyArray<ChildOutcome>> => {
  const { dependencies } = contextOf(head.state);
  if (dependencies.length === 0) return [];
  const heads = await store.loadHeads(dependencies.map((d) => d.jobId));
  return dependencies.map((d, i) => {
    const child = heads[i] ?? null;
    return {
      jobId: d.jobId,
      status: child === null ? null : statusOf(child.state),
      onFailure: d.onFailure,
      child: d.child === true,
      result: child === null ? null : contextOf(child.state).result,
      error: child === null ? null : contextOf(child.state).lastError,
    };
  });
};
