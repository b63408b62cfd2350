/**
 * Issue 14's pure parts: a worker's defaults from DOCKET_QUEUES, DOCKET_WORKER_NAME and
 * DOCKET_CONCURRENCY (checked like every variable, ADR 0020), and the renderings of
 * `docket workers` and `docket info`.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, readEnv } from "../src/cli/config.ts";
import { humanDuration, infoBlock, workersTable } from "../src/cli/render/workers.ts";
import type { WorkerInfo } from "../src/contract/index.ts";

describe("a worker's defaults from the environment", () => {
  it("reads the queues (spaces and empty entries ignored), the name and the concurrency", () => {
    const env = readEnv({
      DOCKET_QUEUES: " high, default,,",
      DOCKET_WORKER_NAME: "w-1",
      DOCKET_CONCURRENCY: "4",
      DOCKET_ISOLATION: "thread",
    });
    expect(env.worker).toEqual({
      queues: ["high", "default"],
      name: "w-1",
      concurrency: 4,
      delivery: { rateLimits: [], fairness: { kind: "strict" } },
      isolation: "thread",
    });
  });

  it("leaves them unset when absent or empty", () => {
    expect(
      readEnv({
        DOCKET_QUEUES: "",
        DOCKET_CONCURRENCY: "",
        DOCKET_RATE_LIMITS: "",
        DOCKET_FAIRNESS: "",
        DOCKET_ISOLATION: "",
      }).worker,
    ).toEqual({
      queues: undefined,
      name: undefined,
      concurrency: undefined,
      delivery: { rateLimits: [], fairness: { kind: "strict" } },
      isolation: undefined,
    });
  });

  it.each([
    ["DOCKET_QUEUES", ",,"],
    ["DOCKET_QUEUES", "ok,-bad"],
    ["DOCKET_WORKER_NAME", "has space"],
    ["DOCKET_CONCURRENCY", "0"],
    ["DOCKET_CONCURRENCY", "ten"],
    ["DOCKET_ISOLATION", "process"],
  ])("refuses %s=%s naming the variable", (name, value) => {
    expect(() => readEnv({ [name]: value })).toThrow(ConfigError);
    expect(() => readEnv({ [name]: value })).toThrow(`invalid ${name}=`);
  });
});

const worker = (over: Partial<WorkerInfo>): WorkerInfo => ({
  id: "w-abc",
  name: "w",
  host: "h",
  pid: 1,
  queues: ["default"],
  concurrency: 4,
  inFlight: 0,
  status: "idle",
  currentJobs: [],
  completed: 7,
  failed: 1,
  startedAt: "2026-01-01T00:00:00.000Z",
  lastSeenAt: "2026-01-01T01:02:05.000Z",
  ...over,
});
const NOW = Date.parse("2026-01-01T01:02:08.000Z");

describe("the workers' renderings", () => {
  it("writes durations as people read them", () => {
    expect([0, 12_400, 185_000, 7_620_000, 273_600_000].map(humanDuration)).toEqual([
      "0s",
      "12s",
      "3m05s",
      "2h07m",
      "3d04h",
    ]);
  });

  it("shows status, running/concurrency, uptime as of the heartbeat, its age, and a few current jobs", () => {
    const text = workersTable(
      [worker({ status: "busy", inFlight: 4, currentJobs: ["j1", "j2", "j3", "j4"] })],
      NOW,
    );
    const [header, row] = text.split("\n");
    expect(header).toMatch(/^ID +STATUS +QUEUES +RUNNING +DONE +FAILED +UPTIME +HEARTBEAT +CURRENT JOBS$/);
    expect(row).toMatch(/^w-abc +busy +default +4\/4 +7 +1 +1h02m +3s ago +j1,j2,j3 \+1$/);
    expect(workersTable([], NOW)).toBe("(no live workers)");
  });

  it("sums the queues in info's first line", () => {
    const text = infoBlock(
      {
        queues: [
          { queue: "a", waiting: 2, pending: 1 },
          { queue: "b", waiting: 3, pending: 0 },
        ],
        byStatus: {} as never,
      },
      [worker({ status: "busy" }), worker({ id: "w-2" })],
      NOW,
    );
    expect(text.split("\n")[0]).toBe(
      "2026-01-01T01:02:08.000Z  2 queue(s), 5 waiting, 1 pending; 2 worker(s), 1 busy",
    );
    expect(text).toMatch(/^b +3 +0$/m);
  });
});
