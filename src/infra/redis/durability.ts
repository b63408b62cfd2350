/**
 * When a write counts as acknowledged (ADR 0047, README "Durability"): `DOCKET_DURABILITY`.
 *
 * - `async` (the default): once the primary has applied it. A primary that dies before its
 *   replicas (or its disk) have the write loses it, acknowledged or not.
 * - `replicated`: a submit, an outcome, every append waits for `WAIT <replicas> <timeout>` on
 *   the connection (on a cluster, on the shard's node) before it is acknowledged; a failover then
 *   promotes a replica that has it. Too few replicas in time: the caller is told the outcome is
 *   unknown (503), and retrying a submit with its idempotency key is safe.
 * - `fsync` (one Redis): the primary's append-only file is fsynced before the acknowledgement:
 *   `WAITAOF 1 0 <timeout>` where the server has it (Redis 7.2+), else the server must run with
 *   `appendonly yes` and `appendfsync always` (checked at start-up; refused otherwise).
 *
 * The modes only (no Redis client here: the CLI's configuration reads them); the waiting is
 * durable-writes.ts.
 */

export type Durability =
  | { readonly mode: "async" }
  | { readonly mode: "replicated"; readonly replicas: number; readonly timeoutMs: number }
  | { readonly mode: "fsync"; readonly timeoutMs: number };

export const ASYNC: Durability = { mode: "async" };

/** How long a write waits for its replicas or its fsync before the caller hears "unknown". */
export const DEFAULT_DURABILITY_TIMEOUT_MS = 2_000;

/** `async`, `fsync`, `replicated` (one replica) or `replicated:N` (N from 1 to 16). */
const DURABILITY = /^(async|fsync|replicated)(?::([1-9]|1[0-6]))?$/;

/** The durability a DOCKET_DURABILITY value names, or null for a value that names none. */
export const durabilityOf = (text: string): Durability | null => {
  const match = DURABILITY.exec(text);
  if (match === null) return null;
  const [, mode, replicas] = match;
  if (mode === "replicated")
    return { mode, replicas: Number(replicas ?? 1), timeoutMs: DEFAULT_DURABILITY_TIMEOUT_MS };
  if (replicas !== undefined) return null;
  return mode === "fsync" ? { mode, timeoutMs: DEFAULT_DURABILITY_TIMEOUT_MS } : ASYNC;
};
