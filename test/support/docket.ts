/**
 * `docket …` as a real process (bin/docket.js under tsx, about a second to start): spawned with
 * its output collected, or run to its end. For the CLI's end-to-end tests.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./wait.ts";

export const ROOT = new URL("../..", import.meta.url).pathname;
export const BIN = join(ROOT, "bin/docket.js");

/**
 * A docket process started in the checkout gets a data directory of its own unless the test
 * names one: its default, ./data, would be the checkout's (the archiver's signing key, a private
 * Redis), shared across tests and left behind; and whether a test sees "made the signing key"
 * would depend on which test ran first.
 */
export const ownDataDir = (cwd: string, env: Record<string, string> = {}): Record<string, string> =>
  cwd !== ROOT || env.DOCKET_DATA_DIR !== undefined || process.env.DOCKET_DATA_DIR !== undefined
    ? {}
    : { DOCKET_DATA_DIR: mkdtempSync(join(tmpdir(), "docket-data-")) };

export interface DocketProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr or stdout contains `text`. */
  waitForOutput(text: string | RegExp, what?: string, timeoutMs?: number): Promise<void>;
}

export interface SpawnOptions {
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Its own process group (the group id is its pid), as a terminal gives a foreground job. */
  readonly detached?: boolean;
}

/** Every process spawned here, so a test file can end what a failing test left running. */
const spawned = new Set<ChildProcess>();

export const killLeftovers = (): void => {
  for (const child of spawned)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  spawned.clear();
};

export const spawnDocket = (args: ReadonlyArray<string>, options: SpawnOptions = {}): DocketProcess => {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    // Text on stderr as at a terminal, unless a test asks otherwise (the default is JSON on stdout).
    env: {
      ...process.env,
      LOG_FORMAT: "text",
      ...ownDataDir(options.cwd ?? ROOT, options.env),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  spawned.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForOutput: async (text, what, timeoutMs = 30_000) => {
      const has = () => {
        const all = stdout + stderr;
        return typeof text === "string" ? all.includes(text) : text.test(all);
      };
      await waitFor(
        () => has() || child.exitCode !== null,
        what ?? `docket to say ${String(text)}`,
        timeoutMs,
      );
      if (!has())
        throw new Error(
          `docket exited (${child.exitCode}) without saying ${String(text)}:\n${stdout}${stderr}`,
        );
    },
  };
};

export interface DocketRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `docket …` to its end without blocking this process (an API under test may live in it). */
export const runDocket = async (
  args: ReadonlyArray<string>,
  options: SpawnOptions = {},
): Promise<DocketRun> => {
  const run = spawnDocket(args, options);
  const status = await run.exited;
  return { status, stdout: run.stdout(), stderr: run.stderr() };
};
