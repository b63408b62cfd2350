/**
 * The write room's face (ADR 0021): the one write path (decide a command against a job's head,
 * seal the events, check them as every reader will, compare-and-append), the job service API
 * clients and operators use (submit, cancel, retry, read a job from its own history), submit
 * request normalisation, job ids and shard placement, and the ports it needs (ports.ts). Other
 * rooms, the API, the CLI and the composition root import the write room through this file
 * only; infra imports this file or ports.ts.
 */
export type * from "./ports.ts";
export { archivedViews, dependencyStatuses } from "./dependency-statuses.ts";
export { newJobId, shardOf } from "./job-ids.ts";
export { JobService, type JobServiceOptions, type Submitted } from "./job-service.ts";
export {
  isWriteResult,
  JobWriter,
  type WriteFailure,
  type WriteIntent,
  type WriteResult,
} from "./job-writer.ts";
export {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_QUEUE,
  type NormalisedSubmit,
  normaliseSubmit,
  SubmitRequest,
} from "./submit-request.ts";
