/** A job's id: what the engine generates (UUIDv7), and what a reader accepts as one. */
import * as Schema from "effect/Schema";
import { MAX_JOB_ID_LENGTH } from "./limits.ts";

export const JobId = Schema.String.check(
  Schema.isPattern(new RegExp(`^[A-Za-z0-9][A-Za-z0-9_-]{0,${MAX_JOB_ID_LENGTH - 1}}$`)),
);
export type JobId = typeof JobId.Type;
