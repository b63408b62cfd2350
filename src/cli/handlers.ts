/** The handlers a worker runs: a handlers module when given, else the built-in demo handlers. */
import type { Handlers } from "../engine/handlers.ts";

export const loadHandlers = async (modulePath: string | undefined): Promise<Handlers> => {
  if (modulePath === undefined) return (await import("./demo-handlers.ts")).demoHandlers;
  const { loadHandlersModule } = await import("../api/handlers-module.ts");
  return loadHandlersModule(modulePath);
};
