/**
 * The package as users get it (ADR 0032): `npm pack` (which builds dist/ through prepack), the
 * tarball installed into an empty folder, then plain `node`, with no tsx and no TypeScript:
 * - the tarball holds the compiled JavaScript, its .d.ts, the Redis scripts, the LICENSE and the
 *   bin, and no source, tests or bench;
 * - `import("docket-engine")` gives the in-process API, `import("docket-engine/client")` the
 *   HTTP client without loading Redis, SQLite, fastify, pino, effect or xstate;
 * - the installed `docket` command runs the compiled CLI (a worker loads a JavaScript handlers
 *   module, refuses a TypeScript one without tsx), and its `docket api` serves the built
 *   dashboard (dist/ui, ADR 0041);
 * - the examples/ run against that install and exit 0.
 * Slow (a build and an install, about half a minute), once per run.
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./support/docket.ts";
import { freePort, startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "docket-package-"));
const app = join(dir, "app");
let files: ReadonlyArray<string>;
let redis: TestRedis;

/** npm as a user runs it: none of the npm_* settings of the `npm test` that may be running us. */
const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

const npm = (args: ReadonlyArray<string>, cwd: string): string =>
  execFileSync("npm", args, { cwd, env: cleanEnv(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Plain node in the app folder (never blocking this process: a Redis may be ours). */
const node = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<Run> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: app,
      env: { ...cleanEnv(), LOG_FORMAT: "text", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });

const docket = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  node([join(app, "node_modules/.bin/docket"), ...args], env);

beforeAll(async () => {
  const [packed] = JSON.parse(npm(["pack", "--json", "--pack-destination", dir], ROOT)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  if (packed === undefined) throw new Error("npm pack packed nothing");
  files = packed.files.map((file) => file.path);
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  npm(["install", "--prefer-offline", "--no-audit", "--no-fund", join(dir, packed.filename)], app);
  redis = await startRedis();
}, 300_000);

afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("holds the compiled JavaScript with its types, the Redis scripts, LICENSE and the bin; no source, tests or bench", () => {
    for (const file of [
      "package.json",
      "LICENSE",
      "README.md",
      "bin/docket.js",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/client/index.js",
      "dist/client/index.d.ts",
      "dist/cli/bin.js",
      "dist/infra/redis/lua/append.lua",
      // The dashboard, built (ADR 0041): what `docket api` serves under /ui.
      "dist/ui/index.html",
      "dist/ui/app.js",
      "dist/ui/app.css",
      "dist/ui/uPlot.min.css",
    ])
      expect(files).toContain(file);
    const unwanted = files.filter(
      (file) =>
        /^(src|test|property-tests|bench|scripts|examples|ADR|docs)\//.test(file) ||
        (file.endsWith(".ts") && !file.endsWith(".d.ts")),
    );
    expect(unwanted).toEqual([]);
    // Installed without its dev dependencies: nothing runs through tsx.
    expect(existsSync(join(app, "node_modules/tsx"))).toBe(false);
  });

  it("imports with plain node: the in-process API from the main entry, the client alone from ./client", async () => {
    // A resolve hook that refuses the engine's I/O and schema libraries: the client must load
    // without them; the main entry, which needs them, is the control that the hook works.
    const check = join(app, "check-imports.mjs");
    writeFileSync(
      check,
      `import { register } from "node:module";
const hooks = \`export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (/\\\\/node_modules\\\\/(ioredis|node-sqlite3-wasm|fastify|pino|effect|xstate)\\\\//.test(resolved.url))
    throw new Error("refused " + resolved.url.replace(/^.*node_modules\\\\//, ""));
  return resolved;
}\`;
if (process.argv[3] === "refuse") register("data:text/javascript," + encodeURIComponent(hooks));
try {
  const m = await import(process.argv[2]);
  console.log(JSON.stringify({ exports: Object.keys(m).sort() }));
} catch (error) {
  console.log(JSON.stringify({ error: error.message }));
}
`,
    );
    const main = await node([check, "docket-engine"]);
    expect(JSON.parse(main.stdout)).toMatchObject({
      exports: expect.arrayContaining([
        "connect",
        "defineHandlers",
        "Docket",
        "DocketClient",
        "NonRetryableError",
      ]),
    });
    const client = await node([check, "docket-engine/client", "refuse"]);
    expect(JSON.parse(client.stdout)).toEqual({
      exports: [
        "DEFAULT_WEBHOOK_TOLERANCE_S",
        "DocketApiError",
        "DocketClient",
        "WebhooksClient",
        "isEnded",
        "verifyWebhook",
      ],
    });
    const control = await node([check, "docket-engine", "refuse"]);
    expect(JSON.parse(control.stdout)).toMatchObject({ error: expect.stringMatching(/^refused /) });
  });

  it("the installed docket command runs the compiled CLI", async () => {
    const help = await docket(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("docket — an event-sourced job engine");
    const version = await docket(["--version"]);
    expect(version.stdout.trim()).toBe(
      (JSON.parse(npm(["pkg", "get", "version"], ROOT)) as string).replace(/^"|"$/g, ""),
    );
    // No API there: a client command says so, exit 1.
    const list = await docket(["jobs", "list"], { DOCKET_API_URL: "http://127.0.0.1:9" });
    expect(list.status).toBe(1);
    expect(list.stderr).toContain("does not answer");
  });

  it("the installed docket api serves the built dashboard at /ui/ (and / redirects there)", async () => {
    const port = await freePort();
    const api = spawn(process.execPath, [join(app, "node_modules/.bin/docket"), "api"], {
      cwd: app,
      env: {
        ...cleanEnv(),
        LOG_LEVEL: "warn",
        PORT: String(port),
        REDIS_URL: redis.url,
        DOCKET_PREFIX: uniquePrefix(),
        DOCKET_DB: join(dir, "ui-check.sqlite"),
        DOCKET_DATA_DIR: join(dir, "ui-check-data"),
        DOCKET_ARCHIVER: "off",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    try {
      const page = await waitFor(
        () =>
          fetch(`http://127.0.0.1:${port}/ui/`).then(
            (r) => (r.ok ? r.text() : undefined),
            () => undefined,
          ),
        "the installed API to serve /ui/",
        30_000,
      );
      expect(page).toContain('src="app.js"');
      const script = await fetch(`http://127.0.0.1:${port}/ui/app.js`);
      expect(script.status).toBe(200);
      expect(script.headers.get("content-security-policy")).toContain("script-src 'self'");
      const root = await fetch(`http://127.0.0.1:${port}/`, { redirect: "manual" });
      expect(root.headers.get("location")).toBe("/ui/");
    } finally {
      api.kill("SIGTERM");
      await new Promise((resolve) => api.once("close", resolve));
    }
  });

  it("a worker of the installed CLI runs a JavaScript handlers module (an ES module in a folder with no package.json too), and refuses a TypeScript one without tsx", async () => {
    const prefix = uniquePrefix();
    writeFileSync(join(app, "handlers.mjs"), "export default { double: async (n) => n * 2 };\n");
    writeFileSync(join(app, "handlers.ts"), "export default { double: async (n: number) => n * 2 };\n");
    const jobs = join(app, "jobs.mjs");
    writeFileSync(
      jobs,
      `import { connect } from "docket-engine";
const docket = await connect({ redisUrl: process.env.REDIS_URL, prefix: process.env.DOCKET_PREFIX });
if (process.argv[2] === "submit") {
  const outcomes = await docket.submitMany([{ type: "double", payload: 2 }, { type: "double", payload: 21 }]);
  console.log(JSON.stringify(outcomes.map((o) => o.id)));
} else {
  const ids = JSON.parse(process.argv[3]);
  const jobs = await Promise.all(ids.map((id) => docket.get(id)));
  console.log(JSON.stringify(jobs.map((job) => [job.status, job.result])));
}
await docket.close();
`,
    );
    const env = { REDIS_URL: redis.url, DOCKET_PREFIX: prefix };
    const refused = await docket(["worker", "--burst", "--handlers", "handlers.ts"], env);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("handlers.ts is TypeScript, which needs tsx to load");

    // ES syntax in a .js file of a folder with no package.json above it: Node (>= 20.19, the
    // floor in `engines`) detects it without tsx. An empty queue: the burst worker exits at once.
    const loose = join(dir, "loose");
    mkdirSync(loose);
    writeFileSync(join(loose, "handlers.js"), "export default { double: async (n) => n * 2 };\n");
    const detected = await docket(["worker", "--burst", "--handlers", join(loose, "handlers.js")], {
      ...env,
      DOCKET_PREFIX: uniquePrefix(),
    });
    expect(detected.status, detected.stderr).toBe(0);
    expect(detected.stderr).toContain("handlers: double");

    const submitted = await node([jobs, "submit"], env);
    expect(submitted.status, submitted.stderr).toBe(0);
    // A burst worker drains what is runnable, then exits by itself.
    const worker = await docket(["worker", "--burst", "--handlers", "handlers.mjs"], env);
    expect(worker.status, worker.stderr).toBe(0);
    const results = await node([jobs, "results", submitted.stdout.trim()], env);
    expect(JSON.parse(results.stdout)).toEqual([
      ["completed", 4],
      ["completed", 42],
    ]);
  });
});

describe("the examples, against the installed package", () => {
  const run = async (file: string, loader: ReadonlyArray<string> = []) => {
    cpSync(join(ROOT, "examples", file), join(app, file));
    return node([...loader, join(app, file)], { REDIS_URL: redis.url, DOCKET_PREFIX: uniquePrefix() });
  };

  it("history-and-retries.mjs (plain JavaScript) runs and exits 0", async () => {
    const result = await run("history-and-retries.mjs");
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("#2: refused (InvalidJobSpec)");
    expect(result.stdout).toContain("first charge: dead_letter (Error: card declined)");
    expect(result.stdout).toContain('after the retry: completed, result {"charged":500}');
    expect(result.stdout).toMatch(/5 JobRetried +by client:in-process/);
    expect(result.stdout).toContain("delayed charge: cancelled (order withdrawn)");
  });

  it("submit-and-work.ts (TypeScript, run with tsx as a user would) runs and exits 0", async () => {
    const tsx = join(ROOT, "node_modules/tsx/dist/esm/index.mjs");
    const result = await run("submit-and-work.ts", ["--import", tsx]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim().split("\n")).toEqual([
      'send-email completed: {"delivered":"ada@example.com"}',
      'resize completed: {"pixels":307200}',
      "send-email dead_letter: bad_address",
    ]);
  });
});
