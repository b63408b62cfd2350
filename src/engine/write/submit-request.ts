/**
 * The public job spec callers submit (HTTP, CLI, typed client), decoded with the API contract's
 * schema (src/contract) and normalised into the domain's complete JobSpec. Field names are public API (see README); every
 * field's schema and bound is the domain's own (limits.ts), so a spec accepted here makes events
 * every reader accepts.
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import { SubmitRequest } from "../../contract/index.ts";
import {
  DEFAULT_BACKOFF,
  type JobSpec,
  MAX_DELAY_MS,
  MAX_PAYLOAD_BYTES,
  type Priority,
  PRIORITY_LEVELS,
} from "../../domain/index.ts";
import { firstIssue, InvalidJobSpec } from "../shared/index.ts";

export const DEFAULT_QUEUE = "default";
export const DEFAULT_MAX_ATTEMPTS = 3;
/** Default payload limit: 512 KiB of JSON. */
export const DEFAULT_MAX_PAYLOAD_BYTES = MAX_PAYLOAD_BYTES;

/** The request's schema is the API contract's (src/contract/requests.ts): it is public. */
export { SubmitRequest };

export interface NormalisedSubmit {
  readonly spec: JobSpec;
  readonly runAt?: string;
}

const decodeRequest = Schema.decodeUnknownResult(SubmitRequest);

const PRIORITY_BY_LEVEL = new Map(
  Object.entries(PRIORITY_LEVELS).map(([name, level]) => [level as number, name as Priority]),
);

/** A priority as given (a name, or its level 30/20/10/0) as the name the events hold. */
const priorityName = (given: SubmitRequest["priority"]): Priority =>
  given === undefined
    ? "normal"
    : typeof given === "number"
      ? (PRIORITY_BY_LEVEL.get(given) ?? "normal")
      : given;

/**
 * Validate an untrusted request and apply the defaults. Fails with InvalidJobSpec naming the
 * first bad field; unknown fields are refused, so a typo never silently becomes a default.
 */
export const normaliseSubmit = (
  input: unknown,
  nowMs: number,
  maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES,
): Result.Result<NormalisedSubmit, InvalidJobSpec> => {
  const decoded = decodeRequest(input, { onExcessProperty: "error" });
  if (Result.isFailure(decoded)) return Result.fail(new InvalidJobSpec(firstIssue(decoded.failure)));
  const request = decoded.success;
  if (request.concurrencyLimit !== undefined && request.concurrencyKey === undefined)
    return Result.fail(
      new InvalidJobSpec({ field: "concurrencyLimit", message: "concurrencyLimit needs a concurrencyKey" }),
    );
  if (request.delayMs !== undefined && request.runAt !== undefined)
    return Result.fail(new InvalidJobSpec({ field: "runAt", message: "give delayMs or runAt, not both" }));
  const payload = request.payload ?? null;
  // The limit is on size, not form: plain JSON is as long as canonical JSON and far cheaper.
  const size = Buffer.byteLength(JSON.stringify(payload), "utf8");
  if (size > maxPayloadBytes)
    return Result.fail(
      new InvalidJobSpec({
        field: "payload",
        message: `payload is ${size} bytes; the limit is ${maxPayloadBytes}`,
      }),
    );
  // Every field below was validated by SubmitRequest, whose field schemas are JobSpec's own.
  const spec: JobSpec = {
    jobType: request.type,
    payload,
    queue: request.queue ?? DEFAULT_QUEUE,
    priority: priorityName(request.priority),
    maxAttempts: request.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    backoff: request.backoff ?? DEFAULT_BACKOFF,
    ...(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs }),
    ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
    ...(request.retainMs === undefined ? {} : { retainMs: request.retainMs }),
    ...(request.meta === undefined ? {} : { meta: request.meta }),
    ...(request.concurrencyKey === undefined
      ? {}
      : { concurrencyKey: request.concurrencyKey, concurrencyLimit: request.concurrencyLimit ?? 1 }),
    ...(request.webhook === undefined ? {} : { webhook: request.webhook }),
    ...(request.dependsOn === undefined
      ? {}
      : {
          dependsOn: request.dependsOn.map((d) =>
            typeof d === "string"
              ? { jobId: d, onFailure: "fail" as const }
              : { jobId: d.jobId, onFailure: d.onFailure ?? "fail" },
          ),
        }),
  };
  if (spec.dependsOn !== undefined) {
    const ids = spec.dependsOn.map((d) => d.jobId);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice !== undefined)
      return Result.fail(
        new InvalidJobSpec({ field: "dependsOn", message: `job ${twice} is named more than once` }),
      );
  }
  const runAtMs =
    request.delayMs !== undefined && request.delayMs > 0
      ? nowMs + request.delayMs
      : request.runAt !== undefined
        ? Date.parse(request.runAt)
        : undefined;
  if (runAtMs !== undefined && runAtMs > nowMs + MAX_DELAY_MS)
    return Result.fail(
      new InvalidJobSpec({
        field: "runAt",
        message: `runAt is more than ${MAX_DELAY_MS} ms (${MAX_DELAY_MS / 86_400_000} days) from now`,
      }),
    );
  return Result.succeed(
    runAtMs === undefined || runAtMs <= nowMs ? { spec } : { spec, runAt: new Date(runAtMs).toISOString() },
  );
};
