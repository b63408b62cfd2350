/**
 * `docket start`'s Redis: use the one at REDIS_URL when it answers; otherwise, when REDIS_URL
 * names this machine (127.0.0.1, localhost, ::1; no credentials) and `redis-server` is on the
 * PATH, start a private one on that port with its data (AOF on, fsync every second) under the
 * data directory; otherwise explain how to get Redis.
 *
 * The private server is private (ADR 0020): bound to the loopback interface, with a generated
 * password kept in `<data>/redis/password` (0600, reused across restarts) and passed in a 0600
 * config file rather than on the command line (where `ps` would show it), its directory 0700 and
 * its files 0600. It runs in its own process group, so a Ctrl-C in the terminal reaches
 * `docket start` alone, which stops the server last, after the worker and the API.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { probeRedis, type RedisProbe, redactUrl } from "../main.ts";
import type { Log } from "./log.ts";

export interface RedisChoice {
  /** The URL to use, with the private server's password when it is ours. */
  readonly url: string;
  readonly note: string;
  /** The server's process id when it is ours (we started it, or an earlier `docket start` did). */
  readonly pid?: number;
  /** Stops the server when it is ours; resolves once it has exited. */
  stop(): Promise<void>;
}

const onPath = (command: string): boolean =>
  spawnSync(command, ["--version"], { stdio: "ignore" }).status === 0;

export const HOW_TO_GET_REDIS = [
  "Docket needs Redis 7.0 or later. Either:",
  "  - install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)",
  "    and run `docket start` again: it starts a private redis-server under ./data when none answers;",
  "  - or point REDIS_URL at a running server, e.g. REDIS_URL=redis://127.0.0.1:6379;",
  "  - or run one in Docker: docker run -p 6379:6379 redis:7",
].join("\n");

/** No Redis to use, and none we could start (exit 1). */
export class NoRedis extends Error {}

/** A URL a private server could serve: this machine, plain redis://, no credentials. */
const isLocal = (url: string): boolean => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false; // a cluster URL (several nodes): never replaced by a private server
  }
  return (
    parsed.protocol === "redis:" &&
    parsed.username === "" &&
    parsed.password === "" &&
    ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname)
  );
};

const withPassword = (url: string, password: string): string => {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
};

const PROBE_MS = 1_500;

/**
 * Make the private server's directory private: 0700 for every directory, 0600 for every file,
 * including what earlier versions created world-readable. New files are private anyway
 * (bin/docket.js sets the umask to 077); this tightens what already exists. Only this directory,
 * which is wholly ours: DOCKET_DATA_DIR may be a folder the user shares with other things.
 */
const makePrivate = (dir: string): void => {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const walk = (path: string) => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    if (stat.isDirectory()) {
      chmodSync(path, 0o700);
      for (const name of readdirSync(path)) walk(join(path, name));
    } else if ((stat.mode & 0o077) !== 0) chmodSync(path, stat.mode & 0o700);
  };
  walk(dir);
};

/** The private server's password: generated once, kept in a 0600 file beside its data. */
const passwordIn = (dir: string): string => {
  const file = join(dir, "password");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  // base64url: nothing to escape in a URL or a redis.conf line.
  const password = randomBytes(32).toString("base64url");
  writeFileSync(file, `${password}\n`, { mode: 0o600, flag: "wx" });
  return password;
};

/** The server's settings, in a 0600 file: a password on the command line is visible to `ps`. */
const writeConfig = (dir: string, port: number, password: string): string => {
  const file = join(dir, "redis.conf");
  const lines = [
    `port ${port}`,
    // Loopback only; "-::1" is skipped where IPv6 is unavailable.
    "bind 127.0.0.1 -::1",
    "protected-mode yes",
    `dir ${JSON.stringify(dir)}`,
    `pidfile ${JSON.stringify(join(dir, "redis.pid"))}`,
    "appendonly yes",
    "appendfsync everysec",
    'save ""',
    `requirepass ${password}`,
    // A job head's `spec` (about 250 bytes) is longer than the default 64, which makes every head
    // a hash table; at 512 a head stays a listpack: 992 -> 616 bytes per job (ADR 0027). The
    // ziplist name is the one Redis 6.2 knows too (7.x takes it as an alias).
    "hash-max-ziplist-value 512",
  ];
  writeFileSync(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
};

const pidIn = (dir: string): number | undefined => {
  try {
    const pid = Number(readFileSync(join(dir, "redis.pid"), "utf8").trim());
    return Number.isSafeInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGTERM, then wait for the process to be gone (SIGKILL after 10 s). */
const stopProcess = async (pid: number, child?: ChildProcess): Promise<void> => {
  if (child !== undefined && (child.exitCode !== null || child.signalCode !== null)) return;
  const exited =
    child === undefined
      ? (async () => {
          while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
        })()
      : new Promise<void>((done) => child.once("exit", () => done()));
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const force = setTimeout(() => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, 10_000);
  await exited;
  clearTimeout(force);
};

/** Stop an owned server if this process exits any other way (an error, a second Ctrl-C). */
const stopOnExit = (pid: number): void => {
  process.once("exit", () => {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  });
};

const refused = (probe: RedisProbe) => {
  if (probe.kind === "auth") throw probe.error;
};

export const chooseRedis = async (options: {
  readonly url: string;
  readonly dataDir: string;
  readonly log: Log;
}): Promise<RedisChoice> => {
  const { url } = options;
  const shown = redactUrl(url);
  const probe = await probeRedis(url, PROBE_MS);
  if (probe.kind === "ready") return { url, note: `using Redis at ${shown}`, stop: async () => {} };
  const dir = resolve(options.dataDir, "redis");
  const local = isLocal(url);
  // A private server an earlier `docket start` left running (it was killed before it could
  // stop it): it asks for the password we keep. Adopt it, and stop it when we stop.
  if (probe.kind === "auth" && local && existsSync(join(dir, "password"))) {
    const authed = withPassword(url, passwordIn(dir));
    const again = await probeRedis(authed, PROBE_MS);
    refused(again);
    const pid = pidIn(dir);
    if (again.kind === "ready") {
      if (pid !== undefined) stopOnExit(pid);
      return {
        url: authed,
        note: `using the private redis-server an earlier docket start left running on ${redactUrl(authed)}${pid === undefined ? "" : ` (pid ${pid})`}`,
        ...(pid === undefined ? {} : { pid }),
        stop: async () => {
          if (pid !== undefined) await stopProcess(pid);
        },
      };
    }
  }
  refused(probe);
  const reason = probe.kind === "unreachable" ? probe.reason : "no answer";
  if (!local) throw new NoRedis(`no Redis answers at REDIS_URL=${shown} (${reason})\n${HOW_TO_GET_REDIS}`);
  if (!onPath("redis-server"))
    throw new NoRedis(`no Redis answers at ${shown} and redis-server is not installed\n${HOW_TO_GET_REDIS}`);
  return startPrivate(url, options.dataDir, dir, options.log);
};

const startPrivate = async (url: string, dataDir: string, dir: string, log: Log): Promise<RedisChoice> => {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  makePrivate(dir);
  const password = passwordIn(dir);
  const port = Number(new URL(url).port || 6379);
  const config = writeConfig(dir, port, password);
  const authed = withPassword(url, password);
  // Its own process group (detached): a Ctrl-C in the terminal must not stop it before the
  // worker and the API have finished with it.
  const child = spawn("redis-server", [config], { detached: true, stdio: ["ignore", "ignore", "inherit"] });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new NoRedis(`could not start redis-server\n${HOW_TO_GET_REDIS}`);
  stopOnExit(pid);
  let stopping = false;
  child.once("exit", (code, signal) => {
    if (!stopping) log.error(`the private redis-server (pid ${pid}) exited (${signal ?? `code ${code}`})`);
  });
  const stop = async () => {
    stopping = true;
    await stopProcess(pid, child);
  };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const probe = await probeRedis(authed, PROBE_MS);
    if (probe.kind === "ready")
      return {
        url: authed,
        pid,
        note: `started a private redis-server (pid ${pid}) on ${redactUrl(authed)}, password in ${join(dir, "password")} (data in ${dir}, AOF on)`,
        stop,
      };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new NoRedis(`could not start redis-server on port ${port} (is the port taken?)\n${HOW_TO_GET_REDIS}`);
};
