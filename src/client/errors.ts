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
type TextDetail = "field" | "jobId" | "status" | "running" | "entryId";
type CountDetail = "shard" | "entries" | "limit";

const TEXT_DETAILS: ReadonlySet<string> = new Set<TextDetail>([
  "field",
  "jobId",
  "status",
  "running",
  "entryId",
]);
const COUNT_DETAILS: ReadonlySet<string> = new Set<CountDetail>(["shard", "entries", "limit"]);
const isTextDetail = (key: string): key is TextDetail => TEXT_DETAILS.has(key);
const isCountDetail = (key: string): key is CountDetail => COUNT_DETAILS.has(key);

/**
 * The contract's details found in an error body, each only when it has the contract's type, in
 * the order the body lists them (the CLI prints them as they came).
 */
const detailsOf = (error: Readonly<Record<string, unknown>>): ErrorDetails => {
  const details: Mutable<ErrorDetails> = {};
  for (const [key, value] of Object.entries(error)) {
    if (typeof value === "string" && isTextDetail(key)) details[key] = value;
    else if (typeof value === "number" && isCountDetail(key)) details[key] = value;
    else if (key === "outcome" && (value === "not_written" || value === "unknown")) details.outcome = value;
  }
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
