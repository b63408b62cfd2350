/** How the dashboard writes values: times, actors, errors, short hashes. Plain text only. */
import { DocketApiError } from "../src/client/index.ts";
import type { Envelope } from "../src/client/index.ts";

type Actor = Envelope["actor"];

export const errorText = (error: unknown): string =>
  error instanceof DocketApiError
    ? `${error.code}: ${error.message}`
    : error instanceof Error
      ? error.message
      : String(error);

/** A timestamp as local date and time, with seconds; "—" for none. */
export const time = (at: string | null | undefined): string =>
  at === null || at === undefined ? "—" : new Date(at).toLocaleString(undefined, { hour12: false });

export const actorText = (actor: Actor): string =>
  `${actor.kind}:${actor.id}` +
  (actor.unauthenticatedClaim === undefined ? "" : ` (claims ${actor.unauthenticatedClaim})`);

export const shortHash = (hash: string): string => hash.slice(0, 12);

/** `<input type="datetime-local">`'s value (local time) as an ISO instant, or undefined when empty. */
export const localInputToIso = (value: string): string | undefined =>
  value === "" || Number.isNaN(new Date(value).getTime()) ? undefined : new Date(value).toISOString();
