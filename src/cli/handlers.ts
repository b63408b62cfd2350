/**
 * The handlers a worker runs: a handlers module when given, else the built-in demo handlers.
 *
 * A handlers module is loaded the way users write one, whatever the folder's package.json says
 * (ADR 0020): ES modules (`.mjs`, or `.js` with `export default`), CommonJS (`.cjs`, or `.js`
 * with `module.exports = {…}`) and TypeScript (`.ts`, `.mts`, `.cts`). tsx's `tsImport` loads it
 * in a namespace of its own, which turns ES syntax in a CommonJS folder into CommonJS instead of
 * failing with "Cannot require() ES Module … in a cycle" as a plain `import()` under the
 * loader does. tsx is an optional peer of the package (ADR 0032): where it is not installed,
 * Node's own `import()` loads JavaScript (Node ≥ 20.19 detects ES syntax in a `.js` file of a
 * folder that does not say `"type"`), and a TypeScript file is refused saying to install tsx.
 * Anything that still cannot be used is refused naming the file and saying why.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Handler, Handlers } from "../engine/worker/index.ts";

/** A handlers module that cannot be loaded or used: exit 2 (the option's value is wrong). */
export class HandlersModuleError extends Error {
  override readonly name = "HandlersModuleError";
}

/** ES syntax compiled to CommonJS exports `{ __esModule: true, default }`: the default is inside. */
const defaultExportOf = (module: Record<string, unknown>): unknown => {
  const exported = module.default;
  if (
    typeof exported === "object" &&
    exported !== null &&
    (exported as { __esModule?: unknown }).__esModule === true &&
    "default" in exported
  )
    return (exported as { default: unknown }).default;
  return exported;
};

const TYPESCRIPT = /\.[cm]?ts$/;

const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;

export const loadHandlersModule = async (path: string): Promise<Handlers> => {
  const file = resolve(path);
  if (!existsSync(file) || !statSync(file).isFile())
    throw new HandlersModuleError(`handlers module ${path}: no such file (${file})`);
  const tsx = await import("tsx/esm/api").catch(() => null);
  if (tsx === null && TYPESCRIPT.test(file))
    throw new HandlersModuleError(
      `handlers module ${path} is TypeScript, which needs tsx to load: install it (npm install tsx) or compile the module to JavaScript`,
    );
  let module: Record<string, unknown>;
  try {
    const url = pathToFileURL(file).href;
    module = (await (tsx === null ? import(url) : tsx.tsImport(url, import.meta.url))) as Record<
      string,
      unknown
    >;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HandlersModuleError(`handlers module ${path} could not be loaded: ${reason}`);
  }
  const exported = defaultExportOf(module);
  const usage =
    "its default export (export default {…} or module.exports = {…}) must map job type to handler";
  if (exported === undefined) {
    const named = Object.keys(module).filter((name) => name !== "default");
    throw new HandlersModuleError(
      `handlers module ${path} has no default export${named.length === 0 ? "" : ` (only ${named.join(", ")})`}: ${usage}`,
    );
  }
  if (typeof exported !== "object" || exported === null || Array.isArray(exported))
    throw new HandlersModuleError(`handlers module ${path}: ${usage}; found ${describe(exported)}`);
  const handlers: Record<string, Handler> = {};
  for (const [type, handler] of Object.entries(exported)) {
    if (typeof handler !== "function")
      throw new HandlersModuleError(
        `handlers module ${path}: the handler for "${type}" is ${describe(handler)}, not a function`,
      );
    handlers[type] = handler as Handler;
  }
  if (Object.keys(handlers).length === 0)
    throw new HandlersModuleError(`handlers module ${path}: the default export has no handlers; ${usage}`);
  return handlers;
};

export const loadHandlers = async (modulePath: string | undefined): Promise<Handlers> =>
  modulePath === undefined
    ? (await import("./demo-handlers.ts")).demoHandlers
    : loadHandlersModule(modulePath);

/** This file's own extension: the demo handlers are TypeScript in a checkout, JavaScript when built. */
const EXT = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/**
 * Where a worker's handler threads load the same handlers from (ADR 0040): the module given, or
 * the demo handlers' own module (its `demoHandlers` export). The module is loaded here first, so
 * one that cannot be used is refused at start-up, not once per job in its threads.
 */
export const threadIsolationFor = (
  modulePath: string | undefined,
): { readonly kind: "thread"; readonly module: string; readonly exportName: string } =>
  modulePath === undefined
    ? {
        kind: "thread",
        module: new URL(`./demo-handlers${EXT}`, import.meta.url).href,
        exportName: "demoHandlers",
      }
    : { kind: "thread", module: pathToFileURL(resolve(modulePath)).href, exportName: "default" };
