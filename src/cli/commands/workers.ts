/**
 * `docket workers` (the registry) and `docket info` (queues and workers, once or redrawn every
 * `--interval` seconds, as `rq info --interval`): client commands over the HTTP API.
 */
import type { WorkerInfo } from "../../client/index.ts";
import { type Command, stringOption, UsageError } from "../command.ts";
import { CLIENT_DETAILS, clientFromEnv } from "../env.ts";
import { infoBlock, workersTable } from "../render/workers.ts";
import { shutdownOnSignals, sleep } from "../signals.ts";

const workers: Command = {
  name: "workers",
  summary: "Live workers from the registry: status, uptime, current jobs, last heartbeat.",
  details: `Status: idle (nothing running), busy (a handler running) or stopping (finishing its jobs,
taking none). Uptime is as of its last heartbeat (every 5 s); a worker whose heartbeats stop
leaves the list after three missed ones. ${CLIENT_DETAILS}`,
  run: async (context) => {
    const client = await clientFromEnv();
    const list = await client.workers();
    context.print({ workers: list }, (v: { workers: ReadonlyArray<WorkerInfo> }) =>
      workersTable(v.workers, Date.now()),
    );
    return 0;
  },
};

/** `--interval`: seconds between redraws, 0.1 to 3600 (fractions allowed, as rq's). */
const intervalOption = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const seconds = /^[0-9]{1,4}(\.[0-9]{1,3})?$/.test(text) ? Number(text) : Number.NaN;
  if (!(seconds >= 0.1 && seconds <= 3600))
    throw new UsageError(`--interval must be seconds from 0.1 to 3600, got ${JSON.stringify(text)}`);
  return seconds * 1000;
};

/** Back to the top left and clear the screen: the block is redrawn in place. */
const CLEAR = "\x1b[H\x1b[2J";

const info: Command = {
  name: "info",
  summary: "Queues and workers at a glance; with --interval, a live view until Ctrl-C.",
  options: {
    interval: {
      type: "string",
      description: "redraw every this many seconds (e.g. 1) until interrupted",
    },
  },
  details: `Queues: entries WAITING for a worker and PENDING (delivered, not yet acknowledged); workers
as \`docket workers\` shows them. With --interval on a terminal the view is redrawn in place; otherwise
(a pipe, a file) each tick writes a block, blank-line separated (with --json, one JSON object per
line). SIGINT or SIGTERM ends it with exit 0. ${CLIENT_DETAILS}`,
  run: async (context) => {
    const intervalMs = intervalOption(stringOption(context, "interval"));
    const client = await clientFromEnv();
    const tick = async () => {
      const [metrics, list] = await Promise.all([client.metrics(), client.workers()]);
      return {
        queues: metrics.queues,
        byStatus: metrics.byStatus,
        workers: list,
        at: new Date().toISOString(),
      };
    };
    const render = (v: Awaited<ReturnType<typeof tick>>) => infoBlock(v, v.workers, Date.parse(v.at));
    if (intervalMs === undefined) {
      context.print(await tick(), render);
      return 0;
    }
    const shutdown = shutdownOnSignals();
    const redraw = process.stdout.isTTY === true && !context.json;
    let first = true;
    while (!shutdown.signal.aborted) {
      const view = await tick();
      if (shutdown.signal.aborted) break;
      const text = context.json ? JSON.stringify(view) : render(view);
      process.stdout.write(redraw ? `${CLEAR}${text}\n` : `${first || context.json ? "" : "\n"}${text}\n`);
      first = false;
      await sleep(intervalMs, shutdown.signal);
    }
    return 0;
  },
};

export const workerCommands: ReadonlyArray<Command> = [workers, info];
