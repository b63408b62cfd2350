/**
 * How `docket api` and `docket worker` start when Redis is not there yet (ADR 0020): they keep
 * trying, with a line per attempt and a growing pause, until Redis answers or they are stopped.
 * Refused credentials (NOAUTH, WRONGPASS) end the wait at once with RedisAuthRefused: retrying
 * cannot fix a wrong password, and the caller exits 2 (a configuration error).
 */
import type { Log } from "./log.ts";
import { sleep } from "./signals.ts";

/** Pauses between attempts: 1, 2, 4, 8 s, then every 10 s. */
export const retryDelayMs = (attempt: number): number => Math.min(1_000 * 2 ** (attempt - 1), 10_000);

/** How long one attempt waits for an answer. */
const PROBE_TIMEOUT_MS = 2_000;

export const waitForRedis = async (
  url: string,
  log: Log,
  stop: AbortSignal,
): Promise<"ready" | "stopped"> => {
  const { probeRedis, redactUrl } = await import("../main.ts");
  for (let attempt = 1; ; attempt++) {
    if (stop.aborted) return "stopped";
    const probe = await probeRedis(url, PROBE_TIMEOUT_MS);
    if (probe.kind === "auth") throw probe.error;
    if (probe.kind === "ready") {
      if (attempt > 1) log.info(`Redis at ${redactUrl(url)} answers (attempt ${attempt})`);
      return "ready";
    }
    const delay = retryDelayMs(attempt);
    log.warn(
      `Redis at ${redactUrl(url)} does not answer (${probe.reason}); trying again in ${delay / 1000} s (attempt ${attempt}; REDIS_URL)`,
      { attempt, retryInMs: delay },
    );
    await sleep(delay, stop);
  }
};
