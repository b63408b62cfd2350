/** `docket worker` as a real process, for tests that kill it or run several (stderr piped, logs as text). */
import { type ChildProcess, spawn } from "node:child_process";

export const spawnWorkerProcess = (
  handlers: string,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>,
): { child: ChildProcess; exited: Promise<number | null> } => {
  const child = spawn(process.execPath, ["bin/docket.js", "worker", "--handlers", handlers, ...args], {
    cwd: new URL("../..", import.meta.url).pathname,
    env: { ...process.env, LOG_FORMAT: "text", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited };
};

/** `docket worker` on a test deployment, with the test fixture handlers. */
export const spawnDocketWorker = (options: {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly leaseMs: number;
  readonly args: ReadonlyArray<string>;
}): { child: ChildProcess; exited: Promise<number | null> } =>
  spawnWorkerProcess("test/fixtures/process-handlers.ts", options.args, {
    REDIS_URL: options.redisUrl,
    DOCKET_PREFIX: options.prefix,
    DOCKET_LEASE_MS: String(options.leaseMs),
  });
