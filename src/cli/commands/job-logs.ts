/**
 * `docket jobs logs <id> [--follow]`: a job's log — its handler's lines and the lifecycle lines
 * derived from its events ("Executing <type> job …", "Job OK", "Job failed: …"). With --follow,
 * read from the API's event stream (the job's whole history, then live) until the job ends.
 */
import type { JobLogLine } from "../../client/index.ts";
import type { Envelope } from "../../domain/envelope.ts";
import { type Command, requirePositional } from "../command.ts";
import { CLIENT_DETAILS, clientFromEnv } from "../env.ts";

/** Events after which the job runs no more (a dead letter may be retried: a new `logs --follow`). */
const ENDING = new Set(["JobCompleted", "JobDeadLettered", "JobCancelled", "JobEvicted"]);

/** Pause before resuming a stream the API closed (a restart) while the job still runs. */
const RESUME_PAUSE_MS = 500;

const lineText = (line: JobLogLine): string =>
  `${line.at}  ${line.attempt === null ? "-" : `#${line.attempt}`}  ${line.source === "handler" ? "| " : ""}${line.line}`;

export const jobLogsCommand: Command = {
  name: "jobs logs",
  summary: "A job's log: its handler's lines and its lifecycle; --follow until it ends.",
  args: "<id>",
  options: {
    follow: { type: "boolean", short: "f", description: "keep printing new lines until the job ends" },
  },
  details: `Each line: time, attempt (#n, or - outside an attempt), then the line; lines the handler
logged start with "| ". Lifecycle lines are derived from the job's events (GET /v1/jobs/:id/logs).
With --follow, reads the API's event stream (GET /v1/events?jobId=…) and exits 0 once the job has
completed, dead-lettered, been cancelled or left Redis; with --json, one JSON line per log line.
${CLIENT_DETAILS}`,
  run: async (context) => {
    const id = requirePositional(context, 0, "<id>");
    const client = await clientFromEnv();
    if (context.values.follow !== true) {
      const lines = await client.logs(id);
      context.print({ lines }, (v: { lines: ReadonlyArray<JobLogLine> }) =>
        v.lines.length === 0 ? "(no log lines)" : v.lines.map(lineText).join("\n"),
      );
      return 0;
    }
    // The job must exist (job_not_found, exit 1) before waiting on a stream of its events.
    await client.get(id);
    const { JobLogReader } = await import("../../engine/read/index.ts");
    const reader = new JobLogReader();
    let lastId = `${id}:0`;
    for (;;) {
      for await (const message of client.stream({ jobId: id, lastEventId: lastId })) {
        lastId = message.id;
        // The contract's envelope type is one struct with a union of types; the domain's is the
        // discriminated union the reader switches on. The same JSON either way.
        for (const line of reader.read(message.event as unknown as Envelope))
          process.stdout.write(`${context.json ? JSON.stringify(line) : lineText(line)}\n`);
        if (ENDING.has(message.event.type)) return 0;
      }
      await new Promise((resolve) => setTimeout(resolve, RESUME_PAUSE_MS));
    }
  },
};
