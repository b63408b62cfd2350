/**
 * Import direction for Docket (see ADR 0001): api -> engine -> domain, infra implements the
 * engine's ports, and one composition root wires them. Checked in CI by `npm run depcheck`.
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Import cycles hide ownership; break them.",
      from: {},
      to: { circular: true },
    },
    {
      name: "domain-is-pure",
      severity: "error",
      comment: "src/domain imports nothing of ours outside src/domain.",
      from: { path: "^src/domain" },
      to: { path: "^src/(?!domain/)" },
    },
    {
      name: "domain-no-io-builtins",
      severity: "error",
      comment: "src/domain does no I/O: the only node built-in it may use is crypto (hashing).",
      from: { path: "^src/domain" },
      to: { dependencyTypes: ["core"], pathNot: "^(node:)?crypto$" },
    },
    {
      name: "domain-no-io-packages",
      severity: "error",
      comment: "src/domain may not depend on I/O libraries.",
      from: { path: "^src/domain" },
      to: { path: "node_modules/(ioredis|fastify|node-sqlite3-wasm)/" },
    },
    {
      name: "engine-not-to-outer",
      severity: "error",
      comment: "The engine declares ports; it never imports their implementations or the API.",
      from: { path: "^src/engine" },
      to: { path: "^src/(infra|api)/" },
    },
    {
      name: "infra-not-to-api",
      severity: "error",
      from: { path: "^src/infra" },
      to: { path: "^src/api/" },
    },
    {
      name: "memory-adapters-are-for-tests",
      severity: "error",
      comment:
        "The in-memory adapters (src/infra/memory) stand in for Redis in tests; no production code imports them.",
      from: { path: "^src/", pathNot: "^src/infra/memory/" },
      to: { path: "^src/infra/memory/" },
    },
    {
      name: "api-not-to-infra",
      severity: "error",
      comment: "The API talks to the engine's public surface; infra is injected by the composition root.",
      from: { path: "^src/api" },
      to: { path: "^src/infra/" },
    },
    {
      name: "cli-is-an-entry-point",
      severity: "error",
      comment: "src/cli is the command-line entry point: nothing else in src imports it.",
      from: { path: "^src/(?!cli/)" },
      to: { path: "^src/cli/" },
    },
    {
      name: "client-stands-alone",
      severity: "error",
      comment: "The typed client talks HTTP only; it may use our types, never the engine's runtime or infra.",
      from: { path: "^src/client" },
      to: { path: "^src/(infra|api|cli)/|^src/main\\.ts$", dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
    },
  },
};
