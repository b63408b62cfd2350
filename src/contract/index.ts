/**
 * The HTTP API's contract, its face: request schemas, response schemas (the source of the
 * response types the typed client and the CLI use) and the one table of operations the OpenAPI
 * document is generated from. Depends on effect and the pure domain only (dependency-cruiser's
 * `contract-is-pure`), so the API, the client and the CLI can all load it without Redis, SQLite
 * or fastify. See ADR 0026.
 */
export * from "./audit.ts";
export * from "./errors.ts";
export * from "./flows.ts";
export * from "./job-logs.ts";
export * from "./jobs.ts";
export * from "./operations.ts";
export * from "./path-parameters.ts";
export * from "./operator.ts";
export * from "./requests.ts";
export * from "./schedules.ts";
export * from "./webhooks.ts";
