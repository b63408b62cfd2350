/**
 * The `docket` command as a real process, for end-to-end tests. Asynchronous (not spawnSync): the
 * API answering the command usually lives in the test's own process.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";

/** The repository's root (where bin/docket.js is). */
export const ROOT = new URL("../..", import.meta.url).pathname;

export interface CliRun {
  /** The exit code; null when the process was killed by a signal. */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `bash -c command` in the repository with `env` added (a pipeline of the CLI, say). */
export const runShell = (command: string, env: Record<string, string> = {}): Promise<CliRun> =>
  runProcess("bash", ["-c", command], env);

/** Run `docket …args` with `env` added to this process's environment. */
export const runDocket = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<CliRun> =>
  runProcess(process.execPath, [join(ROOT, "bin/docket.js"), ...args], env);

/** Run `file …args` in the repository with `env` added (`script`, to give the CLI a terminal). */
export const runProcess = (
  file: string,
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
): Promise<CliRun> =>
  new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8", timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({
          status: error === null ? 0 : typeof error.code === "number" ? error.code : null,
          stdout,
          stderr,
        }),
    );
  });
