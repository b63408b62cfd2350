/** Explain a stored job: audit its history (anchored at its head), then explain the good part. */
import { auditEntries } from "./audited-history.ts";
import { type Explanation, explain } from "./explain.ts";
import type { AuditSource } from "./ports.ts";
import { anchorOf } from "./state-summary.ts";

/** Null when the store knows nothing of the job. */
export const explainJob = async (source: AuditSource, jobId: string): Promise<Explanation | null> => {
  const [entries, head] = await Promise.all([source.readJobHistory(jobId), source.readHead(jobId)]);
  if (entries.length === 0 && head === null) return null;
  return explain(auditEntries(jobId, entries, anchorOf(head) ?? undefined));
};
