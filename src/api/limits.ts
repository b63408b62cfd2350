/**
 * The API's resource bounds (README "Limits", ADR 0019), with defaults that hold on one laptop.
 * Each is configurable (ApiOptions.limits; the CLI reads them from DOCKET_* variables).
 */
export interface ApiLimits {
  /** Open `GET /v1/events` streams at once; one more is refused with 503 `event_streams_full`. */
  readonly sseMaxClients: number;
  /**
   * Bytes a stream may have written but not yet delivered to its client (a client that stopped
   * reading); beyond it the stream is closed with a final `event: dropped`.
   */
  readonly sseMaxBufferBytes: number;
  /**
   * Shard-log entries a `GET /v1/jobs?status=&at=` may scan; a longer log answers 422
   * `scan_limit_exceeded` at once, before any work.
   */
  readonly timeTravelMaxEntries: number;
  /** Such scans running at once in this process; one more answers 429 `time_travel_busy`. */
  readonly timeTravelConcurrency: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  sseMaxClients: 100,
  sseMaxBufferBytes: 1024 * 1024,
  timeTravelMaxEntries: 250_000,
  timeTravelConcurrency: 2,
};

export const limitsOf = (overrides: Partial<ApiLimits> = {}): ApiLimits => ({
  ...DEFAULT_LIMITS,
  ...overrides,
});
