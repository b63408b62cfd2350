/**
 * How long `docket` takes to start and answer (ADR 0032), as a user waits for it: wall time of
 * whole processes, from spawn to exit. Two ways to run the same command:
 * - `source`: the TypeScript source through tsx's loader, as bin/docket.js runs in a checkout
 *   (and as every `docket` ran before the package was compiled);
 * - `compiled`: dist/cli/bin.js with plain node, as the installed package runs.
 * Client commands ask a `docket api` (compiled) on a private redis-server with a few jobs.
 *
 *   npm run build && npx tsx bench/cli-startup.ts        # BENCH_RUNS=30 for more runs
 *   BENCH_BEFORE=../old/bin/docket.js npx tsx bench/cli-startup.ts   # and an older checkout's
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { DocketClient } from "../src/client/index.ts";
import { freePort, startRedis, uniquePrefix } from "../test/support/redis.ts";
import { percentile, sleep } from "./shared.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
/** BENCH_BEFORE=<another checkout>/bin/docket.js adds a third way: an older tree's command. */
const before = process.env.BENCH_BEFORE;
const variants: Readonly<Record<string, ReadonlyArray<string>>> = {
  ...(before === undefined ? {} : { before: [before] }),
  source: [join(ROOT, "bin/docket.js")],
  compiled: [join(ROOT, "dist/cli/bin.js")],
};
if (!existsSync(join(ROOT, "dist/cli/bin.js"))) throw new Error("no dist/: run `npm run build` first");

const redis = await startRedis();
const dir = mkdtempSync(join(tmpdir(), "docket-cli-startup-"));
const port = await freePort();
const env = {
  ...process.env,
  REDIS_URL: redis.url,
  PORT: String(port),
  DOCKET_DB: join(dir, "docket.sqlite"),
  DOCKET_PREFIX: uniquePrefix(),
  DOCKET_ARCHIVER: "off",
  LOG_LEVEL: "warn",
};
const api = spawn(process.execPath, [join(ROOT, "dist/cli/bin.js"), "api"], { env, stdio: "ignore" });
const client = new DocketClient({ baseUrl: `http://127.0.0.1:${port}` });
for (;;) {
  const up = await client.health().then(
    () => true,
    () => false,
  );
  if (up) break;
  await sleep(100);
}
const jobs = await Promise.all(
  Array.from({ length: 5 }, (_, i) => client.submit({ type: "echo", payload: i })),
);

const commands: ReadonlyArray<ReadonlyArray<string>> = [
  ["--help"],
  ["--version"],
  ["jobs", "list"],
  ["jobs", "get", jobs[0]?.id ?? ""],
];

/** Baselines: Node starting and exiting, and Node asking the API what `jobs list` asks (no CLI). */
const baselines: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
  ["node -e 0", ["-e", "0"]],
  [
    "node, fetch GET /v1/jobs",
    ["--input-type=module", "-e", `await (await fetch("http://127.0.0.1:${port}/v1/jobs")).json()`],
  ],
];

const wallMs = (args: ReadonlyArray<string>): number => {
  const start = performance.now();
  const run = spawnSync(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const ms = performance.now() - start;
  if (run.status !== 0) throw new Error(`${args.join(" ")} exited ${run.status}: ${run.stderr.toString()}`);
  return ms;
};

const load = loadavg()[0]?.toFixed(1);
const times = new Map<string, Array<number>>();
for (let i = 0; i < RUNS; i++) {
  for (const [name, args] of baselines) {
    const list = times.get(`${name}|baseline`) ?? [];
    list.push(wallMs(args));
    times.set(`${name}|baseline`, list);
  }
  for (const command of commands)
    // Interleaved, so a burst of load from elsewhere hits both variants alike.
    for (const [variant, bin] of Object.entries(variants)) {
      const key = `${command.slice(0, 2).join(" ")}|${variant}`;
      const list = times.get(key) ?? [];
      list.push(wallMs([...bin, ...command]));
      times.set(key, list);
    }
}

console.log(
  `\n${RUNS} runs each, ${new Date().toISOString()}, node ${process.version}, load average ${load} at start, ${loadavg()[0]?.toFixed(1)} at end\n`,
);
console.log("| command | way | min | median | p90 | max |");
console.log("|:--|:--|--:|--:|--:|--:|");
for (const [key, list] of times) {
  const [command, variant] = key.split("|");
  const sorted = [...list].sort((a, b) => a - b);
  const ms = (n: number | undefined) => `${Math.round(n ?? 0)} ms`;
  const shown = variant === "baseline" ? `\`${command}\`` : `\`docket ${command}\``;
  console.log(
    `| ${shown} | ${variant} | ${ms(sorted[0])} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 90))} | ${ms(sorted.at(-1))} |`,
  );
}
api.kill("SIGTERM");
await new Promise((resolve) => api.once("exit", resolve));
await redis.stop();
rmSync(dir, { recursive: true, force: true });
