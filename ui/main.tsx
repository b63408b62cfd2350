/**
 * The dashboard's entry (ADR 0041): signs in (or finds the API needs no token), opens the live
 * event feed, and renders the page the URL's hash names under the nav bar.
 */
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { errorText } from "./format.ts";
import { LiveEvents, type LiveState } from "./live.ts";
import { NAV } from "./nav.ts";
import { routeOf } from "./links.ts";
import { Page } from "./routes.tsx";
import {
  clientFor,
  forgetToken,
  isUnauthorized,
  saveToken,
  type Session,
  SessionContext,
  storedToken,
} from "./session.ts";

type Auth =
  | { readonly state: "checking" }
  | { readonly state: "login"; readonly problem?: string }
  | { readonly state: "in"; readonly token: string | undefined };

/** Whether `token` (or none) opens the API: a cheap authenticated read. */
const tryToken = async (token: string | undefined): Promise<Auth> => {
  try {
    await clientFor(token).workers();
    return { state: "in", token };
  } catch (error) {
    if (isUnauthorized(error))
      return token === undefined
        ? { state: "login" }
        : { state: "login", problem: "That token was refused." };
    return { state: "login", problem: `The API could not be reached: ${errorText(error)}` };
  }
};

const App = () => {
  const [auth, setAuth] = useState<Auth>({ state: "checking" });
  useEffect(() => {
    void tryToken(storedToken()).then(setAuth);
  }, []);
  if (auth.state === "checking") return <p class="boot">Connecting…</p>;
  if (auth.state === "login")
    return (
      <Login
        problem={auth.problem}
        onToken={async (token) => {
          const next = await tryToken(token);
          if (next.state === "in") saveToken(token);
          setAuth(next);
        }}
      />
    );
  return (
    <SignedIn
      token={auth.token}
      signOut={() => {
        forgetToken();
        setAuth({ state: "login" });
      }}
    />
  );
};

const Login = ({
  problem,
  onToken,
}: {
  problem: string | undefined;
  onToken: (token: string) => Promise<void>;
}) => {
  const [token, setToken] = useState("");
  return (
    <main class="login">
      <h1>Docket</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim() !== "") void onToken(token.trim());
        }}
      >
        <label>
          API token
          <input
            type="password"
            name="token"
            autoComplete="current-password"
            required
            value={token}
            onInput={(event) => setToken(event.currentTarget.value)}
          />
        </label>
        <button type="submit">Sign in</button>
        {problem === undefined ? null : (
          <p class="problem" role="alert">
            {problem}
          </p>
        )}
        <p class="sub">Kept in this tab only (sessionStorage) and sent as a bearer header.</p>
      </form>
    </main>
  );
};

const useHash = (): string => {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = (): void => setHash(location.hash);
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return hash;
};

const SignedIn = ({ token, signOut }: { token: string | undefined; signOut: () => void }) => {
  const session = useMemo<Session>(() => {
    const client = clientFor(token);
    const live = new LiveEvents(client, (error) => {
      if (!isUnauthorized(error)) return false;
      signOut();
      return true;
    });
    return { client, live, signOut, withToken: token !== undefined };
  }, [token]);
  useEffect(() => () => session.live.stop(), [session]);
  const [liveState, setLiveState] = useState<LiveState>(session.live.state);
  useEffect(() => session.live.onState(setLiveState), [session]);
  const route = routeOf(useHash());
  return (
    <SessionContext.Provider value={session}>
      <header class="top">
        <a class="brand" href="#/">
          Docket
        </a>
        <nav aria-label="Pages">
          {NAV.map((entry) => (
            <a
              key={entry.href}
              href={entry.href}
              aria-current={entry.routes.includes(route.name) ? "page" : undefined}
            >
              {entry.label}
            </a>
          ))}
        </nav>
        <span class={`live live-${liveState}`} data-testid="live-state" title="The live event stream">
          {liveState}
        </span>
        {session.withToken ? (
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        ) : null}
      </header>
      <main>
        <Page route={route} />
      </main>
    </SessionContext.Provider>
  );
};

const root = document.getElementById("app");
if (root !== null) {
  root.textContent = "";
  render(<App />, root);
}
