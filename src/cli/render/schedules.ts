/** Plain-text renderings of schedules (`docket schedules list|show`). Pure. */
import type { ScheduleView } from "../../contract/index.ts";
import { oneLineJson, table } from "./table.ts";

export const schedulesTable = (schedules: ReadonlyArray<ScheduleView>): string =>
  schedules.length === 0
    ? "no schedules"
    : table([
        ["NAME", "STATUS", "CRON", "TIMEZONE", "NEXT", "FIRED", "SKIPPED", "LAST JOB"],
        ...schedules.map((s) => [
          s.name,
          s.status,
          s.cron,
          s.timezone,
          s.nextFireTimes[0] ?? "-",
          String(s.fired),
          String(s.skipped),
          s.lastJobId ?? "-",
        ]),
      ]);

export const scheduleDetails = (s: ScheduleView): string =>
  [
    table([
      ["name", s.name],
      ["status", s.status],
      ["cron", `${s.cron} (${s.timezone})`],
      ["job", oneLineJson(s.job, 200)],
      ["overlap", s.overlap],
      ["catch-up", s.catchUp === "all" ? `all (at most ${s.catchUpMax})` : s.catchUp],
      ["created", s.createdAt],
      ["fired", String(s.fired)],
      ["skipped", String(s.skipped)],
      ["last tick", s.lastTick ?? "-"],
      ["last job", s.lastJobId ?? "-"],
      ["version", String(s.version)],
    ]),
    "",
    "next fire times:",
    ...(s.nextFireTimes.length === 0 ? ["  (none)"] : s.nextFireTimes.map((t) => `  ${t}`)),
    ...(s.recent === undefined || s.recent.length === 0
      ? []
      : [
          "",
          "recent:",
          table(
            s.recent.map((r) => [
              `  ${r.tick}`,
              r.outcome,
              r.outcome === "fired" ? (r.jobId ?? "") : `${r.reason ?? ""} ×${r.count ?? 1}`,
            ]),
          ),
        ]),
  ].join("\n");
