/**
 * Handlers modules load the way users write them (ADR 0020): ES modules and CommonJS, `.js`,
 * `.mjs`, `.cjs` and `.ts`, in a folder with no package.json, with `"type": "commonjs"` and with
 * `"type": "module"`; a module that cannot be used is refused with a message naming the file.
 *
 * The loading happens in a real Node process set up as bin/docket.js sets itself up (tsx's
 * loader registered): vitest's own module runner would load forms that `docket worker` could
 * not, and hide the bug. One process loads every case; a real `docket worker` runs the README's
 * handlers.js in cli-startup.e2e.test.ts.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = new URL("..", import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), "docket-handlers-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Loaded {
  readonly path: string;
  readonly types?: ReadonlyArray<string>;
  readonly shout?: unknown;
  readonly error?: string;
  readonly kind?: string;
}

const ESM = "export default { echo: async (payload) => payload, shout: (p) => String(p).toUpperCase() };\n";
const CJS = "module.exports = { echo: async (payload) => payload, shout: (p) => String(p).toUpperCase() };\n";
const TS =
  'import type { Handlers } from "node:fs";\nconst handlers: Record<string, (p: unknown) => unknown> = { echo: async (payload: unknown) => payload, shout: (p: unknown) => String(p).toUpperCase() };\nexport default handlers;\n';

type PackageType = "none" | "commonjs" | "module";

/** A folder with the given package.json "type" (or none) holding one file. */
const folder = (type: PackageType, file: string, text: string): string => {
  const dir = mkdtempSync(join(root, `${type}-`));
  if (type !== "none") writeFileSync(join(dir, "package.json"), JSON.stringify({ type }));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), text);
  return join(dir, file);
};

/** Every form a user may write, in every kind of folder, where Node itself would accept it. */
const forms: ReadonlyArray<{ file: string; text: string; types: ReadonlyArray<PackageType> }> = [
  { file: "handlers.js", text: ESM, types: ["none", "commonjs", "module"] },
  { file: "handlers.mjs", text: ESM, types: ["none", "commonjs", "module"] },
  { file: "handlers.cjs", text: CJS, types: ["none", "commonjs", "module"] },
  // CommonJS in a .js file: Node accepts it unless the folder says "type": "module".
  { file: "handlers.js", text: CJS, types: ["none", "commonjs"] },
  { file: "handlers.ts", text: TS, types: ["none", "commonjs", "module"] },
  { file: "handlers.mts", text: TS, types: ["none", "commonjs", "module"] },
];

const cases = [
  ...forms.flatMap(({ file, text, types }) =>
    types.map((type) => ({
      name: `loads ${file} written as ${text === CJS ? "CommonJS" : text === TS ? "TypeScript" : "an ES module"} in a folder with ${type === "none" ? "no package.json" : `"type": "${type}"`}`,
      path: folder(type, file, text),
    })),
  ),
];

describe("loading a handlers module", () => {
  const refusals: ReadonlyArray<{
    name: string;
    type: PackageType;
    file: string;
    text: string;
    says: RegExp;
  }> = [
    {
      name: "a syntax error",
      type: "none",
      file: "broken.js",
      text: "export default { echo: (p) => p\n",
      says: /broken\.js could not be loaded: .*Expected "}"/s,
    },
    {
      name: 'CommonJS in a "type": "module" folder',
      type: "module",
      file: "cjs.js",
      text: CJS,
      says: /cjs\.js could not be loaded: module is not defined in ES module scope/,
    },
    {
      name: "no default export",
      type: "none",
      file: "named.mjs",
      text: "export const echo = (p) => p;\n",
      says: /named\.mjs has no default export \(only echo\)/,
    },
    {
      name: "a default export that is not an object",
      type: "none",
      file: "list.mjs",
      text: "export default [1];\n",
      says: /list\.mjs: .*found an array/,
    },
    {
      name: "a handler that is not a function",
      type: "none",
      file: "bad.cjs",
      text: "module.exports = { echo: 42 };\n",
      says: /bad\.cjs: the handler for "echo" is a number, not a function/,
    },
    {
      name: "an empty map",
      type: "none",
      file: "empty.mjs",
      text: "export default {};\n",
      says: /empty\.mjs: the default export has no handlers/,
    },
    {
      name: "a module that throws as it loads",
      type: "none",
      file: "throws.mjs",
      text: 'throw new Error("no config");\n',
      says: /throws\.mjs could not be loaded: no config/,
    },
  ];
  const refused = [
    ...refusals.map(({ name, type, file, text, says }) => ({ name, path: folder(type, file, text), says })),
    { name: "a missing file", path: join(root, "nowhere.js"), says: /nowhere\.js: no such file/ },
  ];

  let results: ReadonlyArray<Loaded> = [];
  beforeAll(() => {
    const output = execFileSync(
      process.execPath,
      [
        join(ROOT, "test/fixtures/load-handlers.mjs"),
        ...cases.map((c) => c.path),
        ...refused.map((c) => c.path),
      ],
      { cwd: root, encoding: "utf8", timeout: 60_000 },
    );
    results = JSON.parse(output) as ReadonlyArray<Loaded>;
  });
  const resultFor = (path: string) => results.find((r) => r.path === path);

  for (const { name, path } of cases)
    it(name, () => {
      expect(resultFor(path)).toEqual({ path, types: ["echo", "shout"], shout: "HI" });
    });

  for (const { name, path, says } of refused)
    it(`refuses ${name}, naming the file and saying why`, () => {
      const result = resultFor(path);
      expect(result?.kind).toBe("HandlersModuleError");
      expect(result?.error).toMatch(says);
    });
});
