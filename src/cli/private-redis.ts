/**
 * `docket start`'s Redis: use the one at REDIS_URL when it answers; otherwise, when REDIS_URL
 * names this machine (127.0.0.1, localhost, ::1; no password) and `redis-server` is on the
 * PATH, start a private one on that port with its data (AOF on, fsync every second) under the
 * data directory; otherwise explain how to get Redis.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { redisAnswers } from "../main.ts";

export interface RedisChoice {
  readonly url: string;
  /** Present when we started the server; stop it on shutdown. */
  readonly child?: ChildProcess;
  readonly note: string;
}

const answers = (url: string): Promise<boolean> => redisAnswers(url, 1_500);

const onPath = (command: string): boolean =>
  spawnSync(command, ["--version"], { stdio: "ignore" }).status === 0;

export const HOW_TO_GET_REDIS = [
  "Docket needs Redis 7.0 or later. Either:",
  "  - install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)",
  "    and run `docket start` again: it starts a private redis-server under ./data when none answers;",
  "  - or point REDIS_URL at a running server, e.g. REDIS_URL=redis://127.0.0.1:6379;",
  "  - or run one in Docker: docker run -p 6379:6379 redis:7",
].join("\n");

export class NoRedis extends Error {}

/** A URL a private server could serve: this machine, plain redis://, no credentials. */
const isLocal = (url: string): boolean => {
  const parsed = new URL(url);
  return (
    parsed.protocol === "redis:" &&
    parsed.username === "" &&
    parsed.password === "" &&
    ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname)
  );
};

export const chooseRedis = async (options: {
  readonly url: string;
  readonly dataDir: string;
}): Promise<RedisChoice> => {
  if (await answers(options.url)) return { url: options.url, note: `using Redis at ${options.url}` };
  if (!isLocal(options.url))
    throw new NoRedis(`no Redis answers at REDIS_URL=${options.url}\n${HOW_TO_GET_REDIS}`);
  if (!onPath("redis-server"))
    throw new NoRedis(
      `no Redis answers at ${options.url} and redis-server is not installed\n${HOW_TO_GET_REDIS}`,
    );
  const dir = resolve(options.dataDir, "redis");
  mkdirSync(dir, { recursive: true });
  const port = Number(new URL(options.url).port || 6379);
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--save",
      "",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await answers(options.url))
      return {
        url: options.url,
        child,
        note: `started a private redis-server on ${options.url} (data in ${dir}, AOF on)`,
      };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new NoRedis(`could not start redis-server on port ${port} (is the port taken?)\n${HOW_TO_GET_REDIS}`);
};
