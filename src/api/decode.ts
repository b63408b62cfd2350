/**
 * Decoding what a request carries (body, query, path parameters) with the contract's request
 * schemas (src/contract/requests.ts), the same schemas the OpenAPI document is generated from.
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import { firstIssue } from "../engine/shared/index.ts";
import { ApiError } from "./errors.ts";

/**
 * Decode untrusted input or throw a 400 naming the first bad field. Unknown fields are refused:
 * a typo must never silently fall back to a default.
 */
export const decodeOrThrow = <S extends Schema.Top>(
  schema: S,
  input: unknown,
  where: "body" | "query" | "params",
): S["Type"] => {
  const decoded = Schema.decodeUnknownResult(schema as unknown as Schema.Codec<S["Type"], unknown>)(input, {
    onExcessProperty: "error",
  });
  if (Result.isSuccess(decoded)) return decoded.success;
  const { field, message } = firstIssue(decoded.failure);
  const at = field === "(body)" ? where : `${where}.${field}`;
  throw new ApiError(400, "invalid_request", `${at}: ${message}`, { field: at });
};
