/** Encoding of a job head's state in Redis: the machine's status and context as JSON. */
import {
  type JobContext,
  type JobState,
  type JobStatus,
  restoreState,
  statusOf,
} from "../../domain/index.ts";
import type { StoredHead } from "../../engine/ports.ts";

export const encodeState = (state: JobState): string =>
  JSON.stringify({ value: statusOf(state), context: state.context });

export const decodeHead = (
  jobId: string,
  version: string | null | false | undefined,
  lastHash: string | null | false | undefined,
  state: string | null | false | undefined,
  payload: string | null | false | undefined,
): StoredHead | null => {
  if (!version || !lastHash || !state) return null;
  const { value, context } = JSON.parse(state) as { value: JobStatus; context: JobContext };
  return {
    jobId,
    version: Number(version),
    lastHash,
    state: restoreState(value, context),
    payload: payload ? JSON.parse(payload) : null,
  };
};
