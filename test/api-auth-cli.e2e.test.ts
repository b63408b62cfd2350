/**
 * Named tokens end to end (ADR 0017): `docket api` as a real process with DOCKET_API_TOKENS, the
 * CLI presenting one of them as DOCKET_API_TOKEN, and the events recording that token's name as
 * the actor (the login name only as an unauthenticated claim). A bad token variable stops
 * `docket api` and the client commands with exit 2, naming the variable, never the value.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocketClient } from "../src/client/index.ts";
import { freePort, startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { ownDataDir } from "./support/docket.ts";
import { waitFor } from "./support/wait.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const BIN = join(ROOT, "bin/docket.js");
const SECRET = "Cl1Secret-0123456789";

let redis: TestRedis;
let dir: string;
const children: Array<ChildProcess> = [];

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), "docket-auth-"));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });

describe("named tokens through the real processes", () => {
  it("the CLI's token name is the recorded actor; the login name is only a claim", async () => {
    const port = await freePort();
    const env = {
      REDIS_URL: redis.url,
      PORT: String(port),
      DOCKET_DB: join(dir, "docket.sqlite"),
      DOCKET_PREFIX: uniquePrefix(),
      DOCKET_API_TOKENS: `ops:${SECRET},ci:other-token-0123`,
    };
    const api = spawn(process.execPath, [BIN, "api"], {
      cwd: ROOT,
      env: { ...process.env, LOG_FORMAT: "text", ...ownDataDir(ROOT, env), ...env, DOCKET_API_TOKEN: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    children.push(api);
    let stderr = "";
    api.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stderr.includes("listening on"), "docket api to listen", 30_000);
    expect(stderr).toContain("bearer auth on: 2 token(s)");
    expect(stderr).not.toContain(SECRET);

    const clientEnv = { ...env, DOCKET_API_TOKEN: SECRET, USER: "claimed-user" };
    const submitted = cli(["jobs", "submit", "echo", "--queue", "parked", "--json"], clientEnv);
    expect(submitted.status, submitted.stderr).toBe(0);
    const id = (JSON.parse(submitted.stdout) as { id: string }).id;
    const cancelled = cli(["jobs", "cancel", id, "--json"], clientEnv);
    expect(cancelled.status, cancelled.stderr).toBe(0);

    const client = new DocketClient({ baseUrl: `http://127.0.0.1:${port}`, token: SECRET });
    const events = await client.events(id);
    expect(events.map((e) => e.actor)).toEqual([
      { kind: "client", id: "ops", unauthenticatedClaim: "claimed-user" },
      { kind: "client", id: "ops", unauthenticatedClaim: "claimed-user" },
    ]);
    const anonymous = cli(["jobs", "list"], { ...env, DOCKET_API_TOKENS: "" });
    expect(anonymous.status).toBe(1);
    expect(anonymous.stderr).toContain("unauthorized");
    api.kill("SIGTERM");
  });

  it("a bad token variable exits 2 naming it, without the value", () => {
    for (const args of [["api"], ["jobs", "list"]]) {
      const bad = cli(args, { REDIS_URL: redis.url, DOCKET_API_TOKENS: `ops:${SECRET},${SECRET}` });
      expect(bad.status, bad.stderr).toBe(2);
      expect(bad.stderr).toContain(
        "invalid DOCKET_API_TOKENS (values not shown): entry 2 of 2 is not name:token",
      );
      expect(bad.stderr + bad.stdout).not.toContain(SECRET);
    }
  });
});
