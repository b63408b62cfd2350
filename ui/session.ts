/**
 * The signed-in session: the bearer token the user typed, kept in sessionStorage (gone when the
 * tab closes) and sent only as an `Authorization` header by the typed client — never in a URL,
 * a cookie or the page's markup.
 */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { DocketApiError, DocketClient } from "../src/client/index.ts";
import type { LiveEvents } from "./live.ts";

const TOKEN_KEY = "docket.token";

export const storedToken = (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined;
export const saveToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

/** A client for this page's own API (same origin: the page is served by `docket api`). */
export const clientFor = (token: string | undefined): DocketClient =>
  new DocketClient({ baseUrl: location.origin, ...(token === undefined ? {} : { token }) });

export const isUnauthorized = (error: unknown): boolean =>
  error instanceof DocketApiError && error.status === 401;

/** What every page needs: the client, the live event feed, and a way back to the login form. */
export interface Session {
  readonly client: DocketClient;
  readonly live: LiveEvents;
  /** Called on any 401: the token is wrong or was revoked. */
  readonly signOut: () => void;
  /** Whether the API asks for a token at all (no sign-out button otherwise). */
  readonly withToken: boolean;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export const useSession = (): Session => {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error("useSession outside a signed-in page");
  return session;
};
