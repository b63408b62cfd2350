/**
 * Who is calling, as recorded in the events and records a request causes (ADR 0017).
 */
import * as Schema from "effect/Schema";
import type { FastifyRequest } from "fastify";
import { type Actor, ActorClaim } from "../domain/index.ts";
import { ApiError } from "./errors.ts";

const isActorClaim = Schema.is(ActorClaim);

/**
 * The event's actor (ADR 0017): every API call is a `client`, identified by the principal that
 * authenticated it (the token's name, or `anonymous` without tokens). A `Docket-Actor` header is
 * only what the caller says about itself: kept as `unauthenticatedClaim`, never as the id.
 */
export const actorOf = (request: FastifyRequest): Actor => {
  const claim = request.headers["docket-actor"];
  if (claim === undefined) return { kind: "client", id: request.principal };
  if (typeof claim !== "string" || !isActorClaim(claim))
    throw new ApiError(
      400,
      "invalid_request",
      "Docket-Actor must be 1 to 128 of A-Z a-z 0-9 _ . @ : - (recorded as an unauthenticated claim)",
      { field: "headers.docket-actor" },
    );
  return { kind: "client", id: request.principal, unauthenticatedClaim: claim };
};
