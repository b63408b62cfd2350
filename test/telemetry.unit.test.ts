/** Log rendering and format choice (ADR 0030); metric label bounds and reclaim counting (ADR 0031). */
import { describe, expect, it } from "vitest";
import { textOfLine } from "../src/cli/log-text.ts";
import { chooseFormat, openLog } from "../src/cli/log.ts";
import { readEnv } from "../src/cli/config.ts";
import { initialState } from "../src/domain/index.ts";
import { LabelBound, OTHER_LABEL, ProcessMetrics } from "../src/infra/telemetry/process-metrics.ts";
import type { AppendRequest } from "../src/engine/write/ports.ts";
import { readExposition } from "./support/prometheus.ts";

describe("log format and text lines", () => {
  it("JSON unless stdout is a terminal; LOG_FORMAT chooses; --json always wins", () => {
    expect(chooseFormat({ json: false, format: undefined, stdoutIsTTY: false })).toBe("json");
    expect(chooseFormat({ json: false, format: undefined, stdoutIsTTY: true })).toBe("text");
    expect(chooseFormat({ json: false, format: "json", stdoutIsTTY: true })).toBe("json");
    expect(chooseFormat({ json: false, format: "text", stdoutIsTTY: false })).toBe("text");
    expect(chooseFormat({ json: true, format: "text", stdoutIsTTY: true })).toBe("json");
  });

  it("LOG_LEVEL and LOG_FORMAT are checked at start; empty counts as unset", () => {
    expect(readEnv({ LOG_LEVEL: "debug" }).logLevel).toBe("debug");
    expect(readEnv({}).logLevel).toBe("info");
    expect(readEnv({ LOG_FORMAT: "" }).logFormat).toBeUndefined();
    expect(() => readEnv({ LOG_LEVEL: "loud" })).toThrow(
      /invalid LOG_LEVEL="loud": expected one of fatal, error/,
    );
    expect(() => readEnv({ LOG_FORMAT: "xml" })).toThrow(/invalid LOG_FORMAT="xml": expected json or text/);
    expect(() => readEnv({ DOCKET_METRICS_PORT: "70000" })).toThrow(/DOCKET_METRICS_PORT/);
  });

  it("text lines name the component, say warning or error, and put an error's stack below", () => {
    expect(textOfLine(JSON.stringify({ level: 30, component: "api", msg: "listening" }))).toBe(
      "docket api: listening\n",
    );
    expect(
      textOfLine(
        JSON.stringify({ level: 50, msg: "500 answered: boom", err: { stack: "Error: boom\n    at x" } }),
      ),
    ).toBe("docket: error: 500 answered: boom\n  Error: boom\n      at x\n");
  });

  it("censors credentials in fields and redacts URLs in messages and errors, in both formats", async () => {
    for (const format of ["json", "text"] as const) {
      const out: Array<string> = [];
      const log = await openLog({
        json: false,
        format,
        component: "worker",
        destination: (t) => out.push(t),
      });
      log.info("connecting to redis://:hunter2pass@127.0.0.1:6379", {
        password: "hunter2pass",
        req: { headers: { authorization: "Bearer tok-123456" } },
        token: "tok-123456",
      });
      log.child("lane").error("failed", { err: new Error("cannot reach redis://:hunter2pass@10.0.0.1") });
      const text = out.join("");
      expect(text).not.toContain("hunter2pass");
      expect(text).not.toContain("tok-123456");
      expect(text).toContain(
        format === "json" ? '"component":"worker lane"' : "docket worker lane: error: failed",
      );
    }
  });
});

describe("metric labels and counts", () => {
  it("past the bound of distinct (queue, type) pairs, new pairs are counted as _other; known pairs keep theirs", () => {
    const bound = new LabelBound(2);
    expect(bound.labels("q", "a")).toEqual({ queue: "q", type: "a" });
    expect(bound.labels("q", "b")).toEqual({ queue: "q", type: "b" });
    expect(bound.labels("q", "c")).toEqual({ queue: OTHER_LABEL, type: OTHER_LABEL });
    expect(bound.labels("q", "a")).toEqual({ queue: "q", type: "a" });
  });

  it("a reclaimed attempt (failed with lease_expired) counts as a reclaim and a failed attempt, untimed", async () => {
    const metrics = new ProcessMetrics({ defaultMetrics: false });
    const state = initialState();
    const request = {
      jobId: "not-a-uuid",
      next: { ...state, context: { ...state.context, queue: "default", jobType: "video" } },
      envelopes: [
        {
          jobId: "not-a-uuid",
          type: "AttemptFailed",
          at: "2026-01-01T00:00:00.000Z",
          data: { attempt: 1, error: { code: "lease_expired", message: "m", retryable: true } },
        },
      ],
    } as unknown as AppendRequest;
    metrics.committed(request);
    const text = readExposition(await metrics.text());
    expect(text.value("docket_reclaims_total", { queue: "default", type: "video" })).toBe(1);
    expect(text.value("docket_attempts_failed_total", { queue: "default", type: "video" })).toBe(1);
    expect(
      text.count("docket_run_duration_seconds", { queue: "default", type: "video", outcome: "failed" }),
    ).toBe(0);
  });
});
