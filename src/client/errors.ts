/**
 * The client's one error: every non-2xx answer becomes a DocketApiError carrying the HTTP status,
 * the API's stable `code` and the error body's details (the contract's ErrorBody).
 */
import type { ErrorDetail } from "../contract/index.ts";

/** What an error body carries beside its code and message (`field`, `jobId`, `limit`, …). */
export type ErrorDetails = Omit<ErrorDetail, "code" | "message">;

export class DocketApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = "DocketApiError";
  }
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const TEXT_DETAILS = ["field", "jobId", "status", "running", "entryId"] as const;
const COUNT_DETAILS = ["shard", "entries", "limit"] as const;

/** The contract's details found in an error body, each only when it has the contract's type. */
const detailsOf = (error: Readonly<Record<string, unknown>>): ErrorDetails => {
  const details: Mutable<ErrorDetails> = {};
  for (const key of TEXT_DETAILS) {
    const value = error[key];
    if (typeof value === "string") details[key] = value;
  }
  for (const key of COUNT_DETAILS) {
    const value = error[key];
    if (typeof value === "number") details[key] = value;
  }
  if (error.outcome === "not_written" || error.outcome === "unknown") details.outcome = error.outcome;
  return details;
};

/**
 * The error a non-2xx answer stands for. The body is read as the contract's ErrorBody where it
 * is one; an answer that is not (a proxy's HTML page, an empty body) still gets a code
 * (`http_<status>`) and a message naming the request.
 */
export const errorOf = (request: string, status: number, body: unknown): DocketApiError => {
  const error = isObject(body) && isObject(body.error) ? body.error : {};
  return new DocketApiError(
    status,
    typeof error.code === "string" ? error.code : `http_${status}`,
    typeof error.message === "string" ? error.message : `${request}: HTTP ${status}`,
    detailsOf(error),
  );
};
