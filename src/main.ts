/**
 * The composition root's face: the one place that wires infra (Redis, SQLite, the archive
 * directory) into the engine's rooms and the API (ADR 0021), one file per role in
 * src/composition/ (engine, worker, read side, audit, API server, archive). Two layers:
 * - `compose*` build on connections the caller has already opened: the job service, a worker and
 *   its claim loops, the read side, the audit tools. Tests, the model-based suite and the bench
 *   use them with their own connections and settings.
 * - `open*` open the connections, compose, and hand back `close()`: the `docket` CLI's processes.
 * Nothing else constructs the Redis adapters, the job service or a worker's wiring; the CLI,
 * tests and the bench import it through this file.
 */
export * from "./composition/api-server.ts";
export * from "./composition/archive.ts";
export * from "./composition/archiver-thread.ts";
export * from "./composition/archived-log.ts";
export * from "./composition/audit.ts";
export * from "./composition/engine.ts";
export * from "./composition/read-side.ts";
export * from "./composition/webhooks.ts";
export * from "./composition/worker.ts";
/** A process's metrics registry (ADR 0031): one per process, shared by what it hosts. */
export { ProcessMetrics } from "./infra/telemetry/process-metrics.ts";
/** What the CLI needs to wait for Redis, report refused credentials and print URLs safely. */
export { probeRedis, type RedisProbe, RedisAuthRefused } from "./infra/redis/connection.ts";
export { redactUrl, redactUrlsIn } from "./infra/redact-url.ts";
export type { ArchiverStatus } from "./engine/archive/index.ts";
