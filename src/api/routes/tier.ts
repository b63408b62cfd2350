/**
 * The `Docket-Tier` header (ADR 0034): where a job's history was read from — `redis` while the
 * job is there (some of its events may have been read back from the archive), `archive` once it
 * has left. Every route that answers from one job's history says it: the view, events and logs,
 * the tree (its root), replay, explain and time travel.
 */
import type { FastifyReply } from "fastify";
import type { JobService } from "../../engine/write/index.ts";

/**
 * Sets the header. `mayHaveLeft: false` (the history read does not end in JobEvicted: only a job
 * recorded as evicted can have left Redis) saves the read of the job's head.
 */
export const sendTier = async (
  reply: FastifyReply,
  jobs: Pick<JobService, "tierOf">,
  jobId: string,
  mayHaveLeft = true,
): Promise<void> => {
  reply.header("docket-tier", mayHaveLeft ? await jobs.tierOf(jobId) : "redis");
};
