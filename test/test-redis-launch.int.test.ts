/**
 * The tests' own redis-server launcher (test/support/redis-process.ts): on a loaded machine a
 * port found free can be taken before the server binds it, so a server counts as up only when it
 * is the process answering, and it tells why when it is not.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePorts, launchRedisServer, type RedisServerProcess } from "./support/redis-process.ts";

const dir = mkdtempSync(join(tmpdir(), "docket-launch-"));
const started: Array<RedisServerProcess> = [];
afterAll(() => {
  for (const server of started) server.child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const plainArgs = (ports: ReadonlyArray<number>) => [
  "--port",
  String(ports[0]),
  "--bind",
  "127.0.0.1",
  "--save",
  "",
  "--dir",
  dir,
];

describe("launching a test redis-server", () => {
  it("finds distinct ports when several are asked for at once", async () => {
    const ports = await freePorts(20);
    expect(new Set(ports).size).toBe(20);
  });

  it("does not take another server on its port for its own, and says why it failed with the server's log", async () => {
    const first = await launchRedisServer({ args: plainArgs, logFile: join(dir, "first.log") });
    started.push(first);
    const attempt = launchRedisServer({
      ports: first.ports,
      args: plainArgs,
      logFile: join(dir, "second.log"),
      timeoutMs: 5_000,
    });
    await expect(attempt).rejects.toThrow(
      /exited \(code 1\) \(attempt 5 of 5\)[\s\S]*(Address already in use|bind)/i,
    );
    expect(first.child.exitCode).toBeNull();
  });

  it("starts on fresh ports, answering as the process it started", async () => {
    const server = await launchRedisServer({ args: plainArgs, logFile: join(dir, "third.log") });
    started.push(server);
    expect(server.child.pid).toBeGreaterThan(0);
    expect(server.ports[0]).toBeGreaterThan(0);
  });
});
