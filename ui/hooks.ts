/**
 * Data loading for the pages: load now, again every `pollMs` (what has no event: workers,
 * metrics), and again soon after a live event the page cares about (throttled, so a burst of
 * events costs one request). Errors are shown, a 401 signs the user out.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { Envelope } from "../src/client/index.ts";
import { errorText } from "./format.ts";
import { isUnauthorized, useSession } from "./session.ts";

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly reload: () => void;
}

const EVENT_THROTTLE_MS = 300;

/**
 * Pages that follow events also reload this often: an event that lands between a page's first
 * load and the stream's first connection is otherwise missed (after that, the stream resumes
 * from the last id it saw and misses nothing).
 */
export const SAFETY_POLL_MS = 10_000;

export const useLive = <T>(
  load: () => Promise<T>,
  deps: ReadonlyArray<unknown>,
  options: { readonly pollMs?: number; readonly onEvent?: (event: Envelope) => boolean } = {},
): Loaded<T> => {
  const { live, signOut } = useSession();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let current = true;
    let inFlight = false;
    let again = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fetchNow = async (): Promise<void> => {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      try {
        const value = await loadRef.current();
        if (current) {
          setData(value);
          setError(undefined);
        }
      } catch (failure) {
        if (isUnauthorized(failure)) signOut();
        else if (current) setError(errorText(failure));
      } finally {
        inFlight = false;
        if (again && current) {
          again = false;
          void fetchNow();
        }
      }
    };
    const soon = (): void => {
      if (timer === undefined)
        timer = setTimeout(() => {
          timer = undefined;
          void fetchNow();
        }, EVENT_THROTTLE_MS);
    };
    void fetchNow();
    const poll =
      options.pollMs === undefined ? undefined : setInterval(() => void fetchNow(), options.pollMs);
    const unsubscribe =
      options.onEvent === undefined
        ? undefined
        : live.subscribe((event) => {
            if (options.onEvent?.(event) === true) soon();
          });
    return () => {
      current = false;
      if (poll !== undefined) clearInterval(poll);
      if (timer !== undefined) clearTimeout(timer);
      unsubscribe?.();
    };
    // The caller names what the load depends on (`deps`); `generation` is `reload`.
  }, [...deps, generation]);

  return { data, error, reload: () => setGeneration((n) => n + 1) };
};

/** A user's action on the API (cancel, retry, verify): busy while it runs, then its outcome or problem. */
export interface Action {
  readonly busy: boolean;
  /** What the last action said it did (its own words), if anything. */
  readonly outcome: string | undefined;
  readonly problem: string | undefined;
  readonly run: (action: () => Promise<string | undefined>) => Promise<void>;
}

/** `onDone` runs after each action that succeeded (reload what it changed). */
export const useAction = (onDone?: () => void): Action => {
  const { signOut } = useSession();
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<string | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const run = async (action: () => Promise<string | undefined>): Promise<void> => {
    setBusy(true);
    setProblem(undefined);
    setOutcome(undefined);
    try {
      setOutcome(await action());
      onDone?.();
    } catch (failure) {
      if (isUnauthorized(failure)) signOut();
      else setProblem(errorText(failure));
    } finally {
      setBusy(false);
    }
  };
  return { busy, outcome, problem, run };
};
