/**
 * Import direction for Docket (see ADR 0001): api -> engine -> domain, infra implements the
 * engine's ports, and one composition root wires them. Inside the engine (ADR 0021): rooms
 * (write, worker, read, audit) and the shared place, each with a face (index.ts) and ports
 * (ports.ts); everything outside a room goes through its face, infra through its face or ports.
 * Checked in CI by `npm run depcheck`. Tests, property tests and the bench may reach inside a
 * room (unit tests of its parts).
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
      name: "outside-through-faces",
      severity: "error",
      comment:
        "The API, the CLI, the client and the composition root use a room only through its face (src/engine/<room>/index.ts).",
      from: { path: "^src/(api|cli|client|composition|library)/|^src/(main|index)\\.ts$" },
      to: { path: "^src/engine/(?![^/]+/index\\.ts$)" },
    },
    {
      name: "infra-through-faces-or-ports",
      severity: "error",
      comment: "Infra implements a room's ports: it imports the room's ports.ts or its face, nothing else.",
      from: { path: "^src/infra/" },
      to: { path: "^src/engine/(?![^/]+/(index|ports)\\.ts$)" },
    },
    {
      name: "room-to-room-through-faces",
      severity: "error",
      comment: "A room (or the shared place) uses another only through that one's face (index.ts).",
      from: { path: "^src/engine/([^/]+)/" },
      to: { path: "^src/engine/", pathNot: ["^src/engine/$1/", "^src/engine/[^/]+/index\\.ts$"] },
    },
    {
      name: "shared-imports-no-room",
      severity: "error",
      comment: "The shared place is what every room may use; it uses none of them.",
      from: { path: "^src/engine/shared/" },
      to: { path: "^src/engine/(?!shared/)" },
    },
    {
      name: "read-side-stands-alone",
      severity: "error",
      comment: "The read side folds the log: it never depends on the write path, the worker or the auditor.",
      from: { path: "^src/engine/read/" },
      to: { path: "^src/engine/(write|worker|audit)/" },
    },
    {
      name: "write-path-not-to-worker-or-audit",
      severity: "error",
      comment:
        "Workers use the write path, never the other way round; the write path's dead-letter listing is its own port (DeadLetterIndex).",
      from: { path: "^src/engine/write/" },
      to: { path: "^src/engine/(worker|audit)/" },
    },
    {
      name: "nothing-depends-on-audit",
      severity: "error",
      comment: "The audit room is read-only and on top: no other room imports it.",
      from: { path: "^src/engine/(?!audit/)" },
      to: { path: "^src/engine/audit/" },
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
      name: "library-through-the-composition-root",
      severity: "error",
      comment:
        "The in-process API (src/library) is a face over the composition root: it opens Redis and workers through src/main.ts only, never infra or src/composition/* directly (ADR 0032).",
      from: { path: "^src/library/" },
      to: { path: "^src/(infra|composition|api|cli)/" },
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
      comment:
        "The typed client talks HTTP only (fetch): it takes its types from the API contract (src/contract) and imports nothing else of ours, so it loads no Redis, SQLite, fastify or engine (ADR 0026). One exception: the domain's webhook signature module (node:crypto only), so receivers verify with the code Docket signs with (ADR 0038).",
      from: { path: "^src/client/" },
      to: { path: "^src/(?!client/|contract/|domain/webhook-signature\\.ts$)" },
    },
    {
      name: "ui-through-the-client",
      severity: "error",
      comment:
        "The dashboard (ui/, ADR 0041) runs in a browser and uses only the public HTTP API: of ours it imports the typed client alone.",
      from: { path: "^ui/" },
      to: { path: "^src/(?!client/index\\.ts$)" },
    },
    {
      name: "contract-is-pure",
      severity: "error",
      comment:
        "The API contract (src/contract) is schemas and one table: it imports effect and the pure domain only, so the API, the client and the CLI can all load it (ADR 0026).",
      from: { path: "^src/contract/" },
      to: { path: "^src/(?!contract/|domain/)" },
    },
    {
      name: "contract-no-io-packages",
      severity: "error",
      comment: "The API contract may not depend on I/O libraries.",
      from: { path: "^src/contract/" },
      to: { path: "node_modules/(ioredis|fastify|node-sqlite3-wasm|pino)/" },
    },
    {
      name: "contract-through-its-face",
      severity: "error",
      comment: "Everything outside src/contract uses it through its face (src/contract/index.ts).",
      from: { path: "^src/(?!contract/)" },
      to: { path: "^src/contract/(?!index\\.ts$)" },
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
