/**
 * Fuzzing campaigns over the model-based suite (property-tests/model-based.prop.test.ts):
 *
 *   npm run fuzz -- --runs 300 [--seed S] [--max-commands K] [--path P --replay-path R] [--no-shrink]
 *
 * Runs the suite under vitest with those settings (MODEL_RUNS, FC_SEED, MODEL_MAX_COMMANDS,
 * FC_PATH, FC_REPLAY_PATH, MODEL_SHRINK), writes every failing run's history (audit bundle, commands, violations)
 * and the whole log to fuzz-failures/<timestamp>/, and prints a summary. Without --seed a seed is
 * drawn and printed, so every campaign can be replayed. Exit code: 0 = no violation found.
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "100" },
    seed: { type: "string" },
    path: { type: "string" },
    "replay-path": { type: "string" },
    "max-commands": { type: "string", default: "12" },
    "no-shrink": { type: "boolean", default: false },
    out: { type: "string", default: "fuzz-failures" },
  },
});

const runs = Number(values.runs);
const maxCommands = Number(values["max-commands"]);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (
  !Number.isInteger(runs) ||
  runs < 1 ||
  !Number.isInteger(maxCommands) ||
  maxCommands < 1 ||
  !Number.isInteger(seed)
) {
  console.error("usage: npm run fuzz -- --runs N [--seed S] [--max-commands K] [--path P] [--no-shrink]");
  process.exit(2);
}
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const dir = resolve(values.out, stamp);
mkdirSync(dir, { recursive: true });

console.log(`fuzz: ${runs} runs, seed ${seed}, at most ${maxCommands} commands per run; output in ${dir}`);
const started = Date.now();
const log = createWriteStream(join(dir, "run.log"));
const child = spawn(
  process.execPath,
  [
    "node_modules/vitest/vitest.mjs",
    "run",
    "--project",
    "property",
    "property-tests/model-based.prop.test.ts",
  ],
  {
    env: {
      ...process.env,
      MODEL_RUNS: String(runs),
      MODEL_MAX_COMMANDS: String(maxCommands),
      FC_SEED: String(seed),
      ...(values.path === undefined ? {} : { FC_PATH: values.path }),
      ...(values["replay-path"] === undefined ? {} : { FC_REPLAY_PATH: values["replay-path"] }),
      ...(values["no-shrink"] ? { MODEL_SHRINK: "0" } : {}),
      FUZZ_OUT: dir,
    },
    stdio: ["ignore", "pipe", "pipe"],
  },
);
let output = "";
for (const stream of [child.stdout, child.stderr])
  stream.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    log.write(chunk);
    process.stdout.write(chunk);
  });
const code: number = await new Promise((done) => child.on("exit", (c) => done(c ?? 1)));
log.end();

const seconds = Math.round((Date.now() - started) / 1000);
const failures = readdirSync(dir)
  .filter((name) => /^\d{3}-/.test(name))
  .sort();
// fast-check prints the counterexample's seed and path: "{ seed: -1234, path: "12:0:3", ... }".
const found = /seed: (-?\d+), path: "([^"]*)"/.exec(output);
const replayPath = /Counterexample: .*\/\*replayPath="([^"]*)"\*\//.exec(output)?.[1];
const summary = {
  runs,
  seed,
  maxCommands,
  seconds,
  passed: code === 0,
  failingRuns: failures.length,
  counterexample:
    found === null ? null : { seed: Number(found[1]), path: found[2], replayPath: replayPath ?? null },
  lastFailure: failures.length === 0 ? null : join(dir, failures[failures.length - 1] as string),
  replay:
    found === null
      ? null
      : `npm run fuzz -- --runs ${runs} --seed ${found[1]} --path ${found[2]}${replayPath === undefined ? "" : ` --replay-path '${replayPath}'`} --max-commands ${maxCommands} --no-shrink`,
};
writeFileSync(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
console.log("\n== fuzz summary");
console.log(`runs ${runs}, seed ${seed}, ${seconds} s: ${code === 0 ? "no violation found" : "FAILED"}`);
if (code !== 0) {
  console.log(`failing runs recorded (the last is the shrunk counterexample): ${failures.length}`);
  if (summary.lastFailure !== null) console.log(`history of the counterexample: ${summary.lastFailure}`);
  if (summary.replay !== null) console.log(`replay: ${summary.replay}`);
}
console.log(`summary: ${join(dir, "summary.json")}`);
process.exit(code);
