/**
 * The W3C Trace Context `traceparent` a job carries (https://www.w3.org/TR/trace-context/):
 * where the submitter's trace was when the job was submitted, recorded in its JobSubmitted event
 * so that every attempt, wherever it runs, can join that trace (ADR 0031).
 *
 * Only version 00, exactly as the recommendation writes it: 55 characters, lowercase hex, a
 * trace id and a parent span id that are not all zeros, and the flags. Anything else is not a
 * traceparent the domain records: the engine drops it (a new trace begins), as the
 * recommendation asks of a receiver that cannot parse the header, and a reader refuses an event
 * that holds one.
 */
import * as Schema from "effect/Schema";

export const TRACEPARENT_PATTERN = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export const Traceparent = Schema.String.check(Schema.isPattern(TRACEPARENT_PATTERN));
export type Traceparent = typeof Traceparent.Type;

/** True for a traceparent the domain records (version 00, ids not all zeros). */
export const isTraceparent = (value: unknown): value is Traceparent =>
  typeof value === "string" && value.length === 55 && TRACEPARENT_PATTERN.test(value);
