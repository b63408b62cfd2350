/**
 * What one operation of the API says (method, path, public or not, what it takes, what it answers
 * per status) and the answers many operations share: the error statuses the HTTP edge raises for
 * every route alike (auth, host check, body parsing, Redis outages) come in groups.
 */
import type * as Schema from "effect/Schema";
import { ActorClaim } from "../domain/index.ts";
import { ErrorBody } from "./errors.ts";

/** An answer: JSON decoded by `schema`, or another media type (a stream, text) checked by type only. */
export type Answer =
  | { readonly description: string; readonly schema: Schema.Top }
  | { readonly description: string; readonly mediaType: string };

export interface HeaderParameter {
  readonly name: string;
  readonly description: string;
  readonly schema?: Schema.Top;
}

export interface Operation {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  /** In fastify's form: `/v1/jobs/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  /** Served without a token (the allow-list, ADR 0017). */
  readonly public?: true;
  readonly params?: Schema.Top;
  readonly query?: { readonly schema: Schema.Top; readonly describe: Readonly<Record<string, string>> };
  readonly headers?: ReadonlyArray<HeaderParameter>;
  readonly body?: { readonly schema: Schema.Top; readonly required: boolean };
  readonly responses: Readonly<Record<number, Answer>>;
}

export const error = (description: string): Answer => ({ description, schema: ErrorBody });

/** What any request may be refused with before its handler runs. */
export const anyRequest = {
  400: error(
    "Bad request: a malformed URL or header, or an invalid parameter (`invalid_request` names the field)",
  ),
  401: error("Missing or wrong bearer token (`unauthorized`)"),
  403: error("Without tokens, a Host other than localhost or an IP address (`host_not_allowed`)"),
  414: error("A path parameter too long (`uri_too_long`)"),
  431: error("Headers too large (`headers_too_large`)"),
} as const;

/** Every state-changing route: JSON only, even with nothing to send (no cross-origin simple requests). */
export const writes = {
  ...anyRequest,
  413: error("Body too large (`body_too_large`)"),
  415: error("Content-Type is not application/json (required on every POST, even with an empty body)"),
} as const;

/** Routes that read or write Redis. */
export const redis = {
  503: error(
    "Redis unavailable (`queue_unavailable`), or history that left Redis cannot be read back from the archive: this process has none (`archive_needed`), the key to check it with cannot be read or used (`archive_key_unusable`), it holds less than was archived (`archive_behind`), or a segment is missing or does not check out against its signed checkpoint (`archive_corrupt`, with `shard`, `segment` and the `finding`)",
  ),
} as const;

export const notFound = { 404: error("No such job (`job_not_found`)") } as const;

export const traceparent: HeaderParameter = {
  name: "traceparent",
  description:
    "W3C Trace Context: the submit's span continues this trace, and each job records the " +
    "submit's context (its JobSubmitted event's `traceparent`), which its attempts join. One " +
    "that is not a valid version-00 traceparent is ignored (a new trace begins).",
};

export const actorClaim: HeaderParameter = {
  name: "Docket-Actor",
  description:
    "What the caller says about itself, recorded in the events as `actor.unauthenticatedClaim` " +
    "beside the authenticated principal (`actor.id`, the bearer token's name). 1 to 128 of " +
    "A-Z a-z 0-9 _ . @ : -; anything else is a 400.",
  schema: ActorClaim,
};
