/**
 * SIGTERM/SIGINT handling for long-running commands: the first signal starts a graceful stop,
 * a second one exits at once (130). A graceful stop has a deadline: when it cannot finish (Redis
 * went away, so in-flight jobs cannot be handed back), the process says so and exits 1 instead
 * of retrying forever (ADR 0020).
 */

export interface Shutdown {
  /** Aborted by the first SIGTERM or SIGINT. */
  readonly signal: AbortSignal;
  /** Resolves with that signal's name. */
  readonly requested: Promise<NodeJS.Signals>;
}

export const shutdownOnSignals = (): Shutdown => {
  const controller = new AbortController();
  let resolveRequested!: (signal: NodeJS.Signals) => void;
  const requested = new Promise<NodeJS.Signals>((resolve) => (resolveRequested = resolve));
  let signals = 0;
  const handler = (signal: NodeJS.Signals) => {
    signals += 1;
    // process.exit runs the "exit" listeners: a private redis-server is still stopped.
    if (signals > 1) process.exit(130);
    controller.abort(signal);
    resolveRequested(signal);
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
  return { signal: controller.signal, requested };
};

/**
 * Time a graceful stop may take on top of the handlers' grace period: handing back what is
 * still running, closing the API and the connections. Normally milliseconds; with Redis gone,
 * the hand-backs cannot be written and this is when the process gives up on them.
 */
export const SHUTDOWN_MARGIN_MS = 5_000;

/**
 * Run a graceful stop; if it has not finished within `deadlineMs`, call `onOverdue` (to say what
 * is left undone) and exit with code 1.
 */
export const stopWithin = async (
  deadlineMs: number,
  stop: () => Promise<void>,
  onOverdue: () => void,
): Promise<void> => {
  const timer = setTimeout(() => {
    onOverdue();
    process.exit(1);
  }, deadlineMs);
  try {
    await stop();
  } finally {
    clearTimeout(timer);
  }
};

/** Sleep `ms`, or less if `signal` aborts first. */
export const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
