/**
 * Loads a handlers module: an ES module whose default export maps job type to handler.
 * Refuses anything else with a message that says what was found.
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import type { Handler, Handlers } from "../engine/handlers.ts";

export const loadHandlersModule = async (path: string): Promise<Handlers> => {
  const module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  const exported = module.default;
  if (typeof exported !== "object" || exported === null)
    throw new Error(`${path}: the default export must be an object mapping job type to handler`);
  const handlers: Record<string, Handler> = {};
  for (const [type, handler] of Object.entries(exported)) {
    if (typeof handler !== "function")
      throw new Error(`${path}: the handler for "${type}" is not a function`);
    handlers[type] = handler as Handler;
  }
  return handlers;
};
