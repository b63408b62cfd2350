/**
 * Prints the job machine as Mermaid (default) or JSON, or, with --write-readme, regenerates the
 * lifecycle diagram in README.md between its markers. Run via `npm run diagram`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { describeMachine, machineToMermaid } from "../src/domain/index.ts";
import { replaceDiagram } from "./readme-diagram.ts";

const args = process.argv.slice(2);
if (args.includes("--write-readme")) {
  const path = new URL("../README.md", import.meta.url);
  writeFileSync(path, replaceDiagram(readFileSync(path, "utf8"), machineToMermaid()));
  console.log("README.md lifecycle diagram regenerated");
} else if (args.includes("--format=json") || args.includes("json")) {
  console.log(JSON.stringify(describeMachine(), null, 2));
} else {
  process.stdout.write(machineToMermaid());
}
