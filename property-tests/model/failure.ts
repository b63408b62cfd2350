/**
 * A failing run's evidence, written before the run's system is torn down: the NDJSON audit
 * bundle of its whole history (src/engine/audit exportBundle), the commands with what the
 * system answered, and the violations. The folder is FUZZ_OUT, else the OS temp dir.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditOf } from "./checks.ts";
import type { Model } from "./model.ts";
import type { ModelSystem } from "./system.ts";

let failures = 0;

export const failureRoot = (): string => process.env.FUZZ_OUT ?? join(tmpdir(), "docket-model-failures");

export const writeFailure = async (
  real: ModelSystem,
  model: Model,
  commands: string,
  problem: string,
): Promise<string> => {
  const dir = join(failureRoot(), `${String(++failures).padStart(3, "0")}-${real.prefix}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "commands.txt"),
    `${commands}\n\n# what ran, with the answers\n${model.trace.join("\n")}\n`,
  );
  writeFileSync(join(dir, "violations.txt"), `${problem}\n`);
  try {
    const lines: Array<string> = [];
    for await (const line of auditOf(real).exportBundle({ generatedAtMs: Date.now() })) lines.push(line);
    writeFileSync(join(dir, "bundle.ndjson"), lines.join(""));
  } catch (error) {
    writeFileSync(join(dir, "bundle.error.txt"), String(error));
  }
  return dir;
};
