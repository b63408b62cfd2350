/**
 * Every size and range limit Docket puts on what goes into an event, in one place (README
 * "Limits", ADR 0018). The domain's schemas are built from these constants, so the write side
 * refuses whatever a reader could not hold; the engine and the API use the same names.
 *
 * Lengths of text are in UTF-16 code units (JavaScript's `length`), times in milliseconds.
 */

/**
 * The latest instant an event's Timestamp can hold: 9999-12-31T23:59:59.999Z. Timestamps are
 * written by `Date.prototype.toISOString`, which gives later years six digits and a sign
 * (`+014702-…`), a form the envelope's Timestamp refuses.
 */
export const MAX_TIMESTAMP_MS = 253_402_300_799_999;

/** The range of a JavaScript Date: ±8.64e15 ms (100,000,000 days) around the epoch. */
export const MAX_DATE_MS = 8_640_000_000_000_000;

/**
 * The longest delay one Node timer holds: 2^31 − 1 ms (about 24.8 days). `setTimeout` with a
 * larger delay warns and fires after 1 ms.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** A job's `timeoutMs`: at most what one timer holds. */
export const MAX_TIMEOUT_MS = MAX_TIMER_MS;

/**
 * The longest wait Docket schedules: a first run (`delayMs`, or `runAt` from now) and a backoff's
 * delays and cap, 3,650 days. Far beyond any queue's use, it keeps every computed time far
 * inside MAX_TIMESTAMP_MS, and catches unit mistakes (µs or ns given as ms).
 */
export const MAX_DELAY_MS = 315_360_000_000;

/** A job's `concurrencyKey` (issue 15, ADR 0039): a customer id or similar, in UTF-16 code units. */
export const MAX_CONCURRENCY_KEY_LENGTH = 256;

/** A job's `concurrencyLimit`: jobs of one key that may run at once. */
export const MAX_CONCURRENCY_LIMIT = 10_000;

/**
 * A job's `retainMs` (how long it stays in Redis after it ends, issue 13): at most MAX_DELAY_MS,
 * 3,650 days, for the same reasons. 0 means "as soon as its history is archived".
 */
export const MAX_RETAIN_MS = MAX_DELAY_MS;

/** A spec's `maxAttempts`, and the attempts one manual retry may grant. */
export const MAX_ATTEMPTS = 1_000;

/** An exponential backoff's `factor` lies in [1, MAX_BACKOFF_FACTOR]. */
export const MAX_BACKOFF_FACTOR = 100;

/** Arrays and objects nested deeper than this are refused (recursive walkers stay shallow). */
export const MAX_JSON_DEPTH = 64;

/** A job's payload, as JSON text in UTF-8 (the default; a deployment may set its own). */
export const MAX_PAYLOAD_BYTES = 512 * 1024;

/** A handler's result, as JSON text in UTF-8. */
export const MAX_RESULT_BYTES = 512 * 1024;

/**
 * A job's `meta` (free JSON set at submit, replaced by its handler, shown and searched by the
 * read side), as JSON text in UTF-8: small, since every list row carries it.
 */
export const MAX_META_BYTES = 16 * 1024;

/** A job's `meta` nests at most this deep (it is a label, not a document). */
export const MAX_META_DEPTH = 8;

/**
 * The key a list may search meta by (`metaKey`): a plain name, so it can stand in a JSON path
 * (`$."key"`) with nothing to escape.
 */
export const META_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** Text a job list searches for (`errorText`, `metaValue`). */
export const MAX_SEARCH_TEXT_LENGTH = 256;

/** A handler's log line (longer ones are cut and say so). */
export const MAX_LOG_LINE_LENGTH = 8_192;

/**
 * Log lines one attempt records (the worker's limit, not the machine's): the line at the limit
 * says so and the attempt's end counts the rest, so a handler logging in a loop cannot flood its
 * job's history (its progress and meta are written at most every 200 ms for the same reason).
 */
export const MAX_LOG_LINES_PER_ATTEMPT = 1_000;

/**
 * How often a running job's progress, and its meta, are written at most (the worker's rule): a
 * handler reporting in a tight loop records its latest report about this often instead of one
 * event per call, and the latest is always recorded.
 */
export const REPORT_INTERVAL_MS = 200;

/**
 * And never more often than a thousandth of the attempt's age: a long attempt reporting all the
 * time records about a thousand reports per tenfold of its age (about 7,000 in a day), not five a
 * second (430,000 in a day).
 */
export const REPORT_AGE_DIVISOR = 1_000;

/** A failed attempt's error message (longer ones are cut and say so). */
export const MAX_ERROR_MESSAGE_LENGTH = 8_192;

/** A progress report's message (longer ones are cut and say so). */
export const MAX_PROGRESS_MESSAGE_LENGTH = 1_024;

/** The reason given for a cancel or a manual retry. */
export const MAX_REASON_LENGTH = 1_024;

/** A submit's idempotency key. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

/** Names of job types and queues, and error codes. */
export const MAX_NAME_LENGTH = 128;

/** Job ids. */
export const MAX_JOB_ID_LENGTH = 128;

/**
 * What an API caller may claim to be (`Docket-Actor`, recorded as `actor.unauthenticatedClaim`):
 * letters, digits and `_ . @ : -`, 1 to 128. A plain pattern, so the CLI can check `$USER` against
 * it without loading a schema.
 */
export const ACTOR_CLAIM_PATTERN = /^[\w.@:-]{1,128}$/;

/**
 * A durable step's recorded result (`ctx.step`, ADR 0043), as JSON text in UTF-8. Smaller than a
 * job's result: a job may record many steps, and every later attempt reads them all back.
 */
export const MAX_STEP_RESULT_BYTES = 256 * 1024;

/** A step's `index` (for steps in a loop): a non-negative integer up to this. */
export const MAX_STEP_INDEX = 1_000_000;

/**
 * Step outcomes (StepCompleted and StepFailed) one job may record in all, across its attempts:
 * its history is read back in full at each resume, so it stays bounded.
 */
export const MAX_STEPS_PER_JOB = 1_000;

/** Suspensions (`ctx.sleep`, `ctx.waitFor`) one job may record in all. */
export const MAX_SUSPENSIONS_PER_JOB = 1_000;

/** Distinct signals one job may receive (`POST /v1/jobs/:id/signal`); each name once. */
export const MAX_SIGNALS_PER_JOB = 100;

/** A signal's payload, as JSON text in UTF-8. */
export const MAX_SIGNAL_PAYLOAD_BYTES = 64 * 1024;

/** A step's code fingerprint: SHA-256 hex, cut to this many characters. */
export const STEP_FINGERPRINT_LENGTH = 16;

/** Jobs one job may depend on (`dependsOn`, issue 18, ADR 0042). */
export const MAX_DEPENDENCIES = 100;

/** Jobs in one flow (`POST /v1/flows`: the parent and all its descendants), one atomic submit. */
export const MAX_FLOW_JOBS = 100;

/** Levels of children under a flow's parent (the parent alone is depth 0). */
export const MAX_FLOW_DEPTH = 8;
