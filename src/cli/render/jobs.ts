/** Plain-text renderings of jobs and their events for the terminal (`docket jobs …`). */
import type { Envelope, JobTree, JobView } from "../../contract/index.ts";
import { table } from "./table.ts";

export const jobLine = (job: JobView): ReadonlyArray<string> => [
  job.id,
  job.status,
  job.type,
  job.queue,
  job.priority,
  `${job.attempts}/${job.maxAttempts}`,
  job.createdAt,
];

export const jobsTable = (jobs: ReadonlyArray<JobView>): string =>
  jobs.length === 0
    ? "(no jobs)"
    : table([["ID", "STATUS", "TYPE", "QUEUE", "PRIORITY", "ATTEMPTS", "CREATED"], ...jobs.map(jobLine)]);

export const jobDetails = (job: JobView): string => {
  const rows: Array<[string, string]> = [
    ["id", job.id],
    ["status", job.status],
    ["type", job.type],
    ["queue", `${job.queue} (${job.priority})`],
    ["attempts", `${job.attempts} of ${job.maxAttempts}`],
    ["created", job.createdAt],
  ];
  if (job.queuedAt !== null) rows.push(["queued", job.queuedAt]);
  if (job.startedAt !== null) rows.push(["started", job.startedAt]);
  if (job.endedAt !== null) rows.push(["ended", job.endedAt]);
  if (job.runAt !== null) rows.push(["runs at", job.runAt]);
  if (job.progress !== null)
    rows.push([
      "progress",
      `${job.progress.current}/${job.progress.total}${job.progress.message === undefined ? "" : ` ${job.progress.message}`}`,
    ]);
  if (job.suspension !== null)
    rows.push([
      "suspended",
      job.suspension.kind === "sleep"
        ? `sleeping (${job.suspension.name}) until ${job.suspension.until}`
        : `waiting for signal ${job.suspension.name} until ${job.suspension.until} at the latest`,
    ]);
  if (job.steps > 0 || job.suspensions > 0)
    rows.push(["durable", `${job.steps} step(s) recorded, ${job.suspensions} suspension(s)`]);
  if (job.meta !== null) rows.push(["meta", JSON.stringify(job.meta)]);
  if (job.concurrencyKey !== null)
    rows.push([
      "concurrency",
      `${JSON.stringify(job.concurrencyKey)} (at most ${job.concurrencyLimit ?? 1} at once)`,
    ]);
  if (job.result !== null) rows.push(["result", JSON.stringify(job.result)]);
  if (job.error !== null) {
    // The view keeps the latest failed attempt's error for the record, also once a later attempt
    // runs or has completed; only a failed or dead-lettered job is where it is because of it.
    const current = job.status === "failed" || job.status === "dead_letter";
    rows.push([
      current ? "error" : "earlier error",
      `${job.error.code}: ${job.error.message}${job.error.retryable ? "" : " (not retryable)"}${current ? "" : " (an earlier attempt's)"}`,
    ]);
  }
  if (job.cancelReason !== null) rows.push(["cancelled", job.cancelReason]);
  for (const [i, d] of job.dependencies.entries())
    rows.push([
      i === 0 ? "depends on" : "",
      `${d.jobId} (${d.child ? "child, " : ""}on failure ${d.onFailure}${d.ended === null ? "" : `, ended ${d.ended}`})`,
    ]);
  if (job.dependents !== undefined && job.dependents.length > 0)
    rows.push(["dependents", job.dependents.join(", ")]);
  rows.push(["events", `${job.version} (last hash ${job.lastHash.slice(0, 16)}…)`]);
  return table(rows);
};

/**
 * A job and its dependencies as an indented tree, one job a line: id, type and status, and as a
 * dependency its policy and recorded end (`docket jobs tree`).
 */
export const jobTree = (root: JobTree): string => {
  const lines: Array<string> = [];
  const walk = (node: JobTree, prefix: string, last: boolean, top: boolean) => {
    const as =
      node.onFailure === undefined
        ? ""
        : ` [${node.child === true ? "child, " : ""}on failure ${node.onFailure}${node.ended === null || node.ended === undefined ? "" : `, recorded ${node.ended}`}]`;
    const line = `${node.id} ${node.type} ${node.status ?? "(left Redis)"}${as}${node.truncated === true ? " …" : ""}`;
    lines.push(top ? line : `${prefix}${last ? "└─ " : "├─ "}${line}`);
    const inner = top ? "" : `${prefix}${last ? "   " : "│  "}`;
    node.dependencies.forEach((child, i) => walk(child, inner, i === node.dependencies.length - 1, false));
  };
  walk(root, "", true, true);
  return lines.join("\n");
};

export const eventsTable = (events: ReadonlyArray<Envelope>): string =>
  table([
    ["SEQ", "AT", "ACTOR", "TYPE", "DATA"],
    ...events.map((e) => [
      String(e.seq),
      e.at,
      `${e.actor.kind}:${e.actor.id}`,
      e.type,
      JSON.stringify(e.data).slice(0, 100),
    ]),
  ]);
