/**
 * The public job spec callers submit (HTTP, CLI, typed client), validated with Effect Schema and
 * normalised into the domain's complete JobSpec. Field names are public API (see README).
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import {
  Backoff,
  DEFAULT_BACKOFF,
  type JobSpec,
  Name,
  PositiveInt,
  Priority,
  Timestamp,
} from "../domain/index.ts";
import { InvalidJobSpec } from "./errors.ts";
import { firstIssue } from "./schema-errors.ts";

export const DEFAULT_QUEUE = "default";
export const DEFAULT_MAX_ATTEMPTS = 3;
/** Default payload limit: 512 KiB of JSON. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 512 * 1024;

export const SubmitRequest = Schema.Struct({
  type: Name,
  payload: Schema.optionalKey(Schema.Json),
  queue: Schema.optionalKey(Name),
  priority: Schema.optionalKey(Priority),
  maxAttempts: Schema.optionalKey(PositiveInt.check(Schema.isLessThanOrEqualTo(1000))),
  backoff: Schema.optionalKey(Backoff),
  timeoutMs: Schema.optionalKey(PositiveInt),
  delayMs: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  runAt: Schema.optionalKey(Timestamp),
  idempotencyKey: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(256))),
});
export type SubmitRequest = typeof SubmitRequest.Type;

export interface NormalisedSubmit {
  readonly spec: JobSpec;
  readonly runAt?: string;
}

const decodeRequest = Schema.decodeUnknownResult(SubmitRequest);

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
    priority: request.priority ?? "normal",
    maxAttempts: request.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    backoff: request.backoff ?? DEFAULT_BACKOFF,
    ...(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs }),
    ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
  };
  const runAtMs =
    request.delayMs !== undefined && request.delayMs > 0
      ? nowMs + request.delayMs
      : request.runAt !== undefined
        ? Date.parse(request.runAt)
        : undefined;
  return Result.succeed(
    runAtMs === undefined || runAtMs <= nowMs ? { spec } : { spec, runAt: new Date(runAtMs).toISOString() },
  );
};
