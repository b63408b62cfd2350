/**
 * Starting one `redis-server` for tests, robustly: on a loaded two-core machine running the whole
 * suite, a free port found here can be taken by another test file before the server binds it. So
 * a server is only "up" when the process answering on its port is the one started (INFO's
 * `process_id`), a server that exits before answering is started again on fresh ports, and a
 * failure says why, with the end of the server's own log.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { Redis } from "ioredis";

/**
 * Where the kernel picks the local ports of outgoing connections (every Redis client of every
 * test takes one): a port found free there may be taken by a connection before its server binds
 * it. Ports are found below it instead, where only another listener can take them.
 */
const ephemeralStart = (): number => {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    return Number(low);
  } catch {
    return 32_768; // Linux's default; elsewhere (macOS: 49152) this range is below it too
  }
};

const LOWEST = 10_000;

/** Binds `port` (0: any the kernel picks) on 127.0.0.1; resolves the port, or null when taken. */
const tryListen = (server: Server, port: number): Promise<number | null> =>
  new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      error.code === "EADDRINUSE" || error.code === "EACCES" ? resolve(null) : reject(error);
    server.once("error", onError);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", onError);
      const address = server.address();
      if (typeof address === "object" && address !== null) resolve(address.port);
      else reject(new Error("no port"));
    });
  });

/**
 * `count` distinct free ports, held open together while found so that none repeats: random ones
 * below the ephemeral range (see `ephemeralStart`), or the kernel's pick when none is found there.
 */
export const freePorts = async (count: number): Promise<Array<number>> => {
  const servers: Array<Server> = [];
  const below = ephemeralStart();
  try {
    const ports: Array<number> = [];
    for (let i = 0; i < count; i++) {
      let port: number | null = null;
      for (let tries = 0; port === null && tries < 50 && below - LOWEST > 1_000; tries++) {
        const server = createServer();
        server.unref();
        port = await tryListen(server, LOWEST + Math.floor(Math.random() * (below - LOWEST)));
        if (port === null) server.close();
        else servers.push(server);
      }
      if (port === null) {
        const server = createServer();
        server.unref();
        servers.push(server);
        port = await tryListen(server, 0);
      }
      if (port === null) throw new Error("no free port");
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
};

/**
 * One short-lived connection to the server on this port, asked one question (no reconnects, no
 * retries; a cluster node is asked itself, its redirections not followed).
 */
export const askServer = async <T>(
  port: number,
  question: (client: Redis) => Promise<T>,
  password?: string,
): Promise<T> => {
  const client = new Redis({
    port,
    host: "127.0.0.1",
    ...(password === undefined ? {} : { password }),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return await question(client);
  } finally {
    client.disconnect();
  }
};

/** The process id of the redis-server answering on this port, or null when none answers. */
const pidAnswering = (port: number, password: string | undefined): Promise<number | null> =>
  askServer(
    port,
    async (client) => {
      const match = /process_id:(\d+)/.exec(await client.info("server"));
      return match === null ? null : Number(match[1]);
    },
    password,
  ).catch(() => null);

const logTail = (logFile: string): string => {
  if (!existsSync(logFile)) return "(no log written)";
  const lines = readFileSync(logFile, "utf8").trimEnd().split("\n");
  return lines.slice(-15).join("\n");
};

export interface RedisServerLaunch {
  /** Ports to use (the first is the client port); a server with given ports is never moved. */
  readonly ports?: ReadonlyArray<number>;
  /** How many fresh ports to find when `ports` is not given. */
  readonly portCount?: number;
  /** redis-server's arguments for these ports (`--logfile` is added). */
  readonly args: (ports: ReadonlyArray<number>) => ReadonlyArray<string>;
  readonly logFile: string;
  readonly password?: string;
  /** Per attempt; generous, as it only costs time when a server never answers. */
  readonly timeoutMs?: number;
}

export interface RedisServerProcess {
  readonly child: ChildProcess;
  readonly ports: ReadonlyArray<number>;
}

const ATTEMPTS = 5;

export const launchRedisServer = async (launch: RedisServerLaunch): Promise<RedisServerProcess> => {
  const timeoutMs = launch.timeoutMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    const ports = launch.ports ?? (await freePorts(launch.portCount ?? 1));
    const port = ports[0] ?? 0;
    const child = spawn("redis-server", [...launch.args(ports), "--logfile", launch.logFile], {
      stdio: "ignore",
    });
    let spawnError: Error | undefined;
    child.on("error", (error) => {
      spawnError = error;
    });
    const exited = () => spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (spawnError !== undefined)
        throw new Error(`could not start redis-server (is it installed?): ${spawnError.message}`);
      if ((await pidAnswering(port, launch.password)) === child.pid) return { child, ports };
      if (exited() || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const why = exited()
      ? `exited (${child.exitCode === null ? `signal ${child.signalCode}` : `code ${child.exitCode}`})`
      : `did not answer within ${timeoutMs} ms`;
    if (!exited()) child.kill("SIGKILL");
    // A port taken meanwhile by someone else: fresh ports, or the same ones a moment later (the
    // previous process on them may still be going away).
    if (attempt < ATTEMPTS && exited()) {
      await new Promise((r) => setTimeout(r, launch.ports === undefined ? 0 : 200 * attempt));
      continue;
    }
    throw new Error(
      `redis-server on port ${ports.join("/")} ${why} (attempt ${attempt} of ${ATTEMPTS}); its log ends:\n${logTail(launch.logFile)}`,
    );
  }
};
