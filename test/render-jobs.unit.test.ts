/**
 * `docket jobs get` (and `jobs submit --wait`'s last lines): the job's details as text. A job
 * whose earlier attempt failed keeps that error in its view, for the record; it is shown as the
 * error only while it is why the job is where it is (failed, dead-lettered).
 */
import { describe, expect, it } from "vitest";
import { jobDetails } from "../src/cli/render/jobs.ts";
import type { JobView } from "../src/contract/index.ts";

const view = (status: JobView["status"]): JobView => ({
  id: "0193a3b0-7c2e-7000-8000-000000000042",
  status,
  type: "flaky",
  queue: "default",
  priority: "normal",
  attempts: 2,
  maxAttempts: 3,
  createdAt: "2026-01-01T00:00:00.000Z",
  queuedAt: "2026-01-01T00:00:01.000Z",
  startedAt: "2026-01-01T00:00:02.000Z",
  endedAt: status === "completed" ? "2026-01-01T00:00:03.000Z" : null,
  evictedAt: null,
  retainMs: null,
  runAt: null,
  progress: null,
  result: status === "completed" ? { ok: true } : null,
  error: { code: "handler_error", message: "Error: boom", retryable: true },
  cancelReason: null,
  idempotencyKey: null,
  meta: null,
  concurrencyKey: null,
  steps: 0,
  suspensions: 0,
  suspension: null,
  dependencies: [],
  concurrencyLimit: null,
  version: 7,
  lastHash: "a".repeat(64),
  updatedAt: "2026-01-01T00:00:03.000Z",
});

const rowOf = (text: string, label: string): string | undefined =>
  text.split("\n").find((line) => line.startsWith(`${label} `));

describe("a job's details", () => {
  it("a completed job shows an earlier attempt's error as earlier, not as its error", () => {
    const text = jobDetails(view("completed"));
    expect(rowOf(text, "error")).toBeUndefined();
    expect(rowOf(text, "earlier error")).toContain("handler_error: Error: boom (an earlier attempt's)");
    expect(rowOf(text, "result")).toContain('{"ok":true}');
  });

  it("a running or requeued job shows the last failure as earlier too", () => {
    for (const status of ["processing", "queued", "cancelled"] as const) {
      const text = jobDetails(view(status));
      expect(rowOf(text, "error"), status).toBeUndefined();
      expect(rowOf(text, "earlier error"), status).toBeDefined();
    }
  });

  it("a failed or dead-lettered job shows the error as its own", () => {
    for (const status of ["failed", "dead_letter"] as const) {
      const text = jobDetails(view(status));
      expect(rowOf(text, "error"), status).toContain("handler_error: Error: boom");
      expect(rowOf(text, "error"), status).not.toContain("earlier");
      expect(rowOf(text, "earlier error"), status).toBeUndefined();
    }
  });

  it("a suspended job shows what it waits for and its durable steps", () => {
    const text = jobDetails({
      ...view("suspended"),
      steps: 2,
      suspensions: 1,
      suspension: { kind: "signal", name: "approved", until: "2026-01-02T00:00:00.000Z" },
    });
    expect(rowOf(text, "suspended")).toContain("waiting for signal approved until 2026-01-02T00:00:00.000Z");
    expect(rowOf(text, "durable")).toContain("2 step(s) recorded, 1 suspension(s)");
    expect(rowOf(jobDetails(view("completed")), "durable")).toBeUndefined();
  });
});
