/**
 * SIGTERM/SIGINT handling for long-running commands: the first signal starts a graceful stop,
 * a second one exits at once (130).
 */
export const onShutdownSignals = (stop: (signal: NodeJS.Signals) => void): void => {
  let signals = 0;
  const handler = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(130);
    stop(signal);
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
};
