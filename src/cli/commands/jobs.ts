/** `docket jobs ...`: client commands over the HTTP API. */
import {
  type DocketClient,
  DocketApiError,
  type FlowRequest,
  type FlowSubmitted,
  type JobStatus,
  type JobView,
  type Metrics,
  type SignalRequest,
  type SubmitRequest,
} from "../../client/index.ts";
import { CLIENT_DETAILS, clientFromEnv } from "../env.ts";
import {
  type Command,
  type CommandContext,
  intOption,
  jsonOption,
  requirePositional,
  stringOption,
  UsageError,
} from "../command.ts";
import { readFile } from "node:fs/promises";
import { eventsTable, jobDetails, jobsTable, jobTree } from "../render/jobs.ts";
import { table } from "../render/table.ts";

const progressLine = (job: JobView): string => {
  const progress =
    job.progress === null
      ? ""
      : ` ${job.progress.current}/${job.progress.total}${job.progress.message === undefined ? "" : ` ${job.progress.message}`}`;
  return `${job.id} ${job.status} (attempt ${job.attempts}/${job.maxAttempts})${progress}`;
};

/** `--timeout`: a duration with its unit (`500ms`, `30s`, `5m`, `1h`), at most a day. */
export const durationOption = (context: CommandContext, name: string): number | undefined => {
  const value = stringOption(context, name);
  if (value === undefined) return undefined;
  const match = /^(\d{1,9})(ms|s|m|h)$/.exec(value);
  const ms = match === null ? Number.NaN : Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (!(ms > 0 && ms <= MAX_WAIT_MS))
    throw new UsageError(
      `--${name} must be a duration with its unit, such as 500ms, 30s, 5m or 1h (at most 24h), got ${JSON.stringify(value)}`,
    );
  return ms;
};
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const MAX_WAIT_MS = 24 * 3_600_000;

/** The exit code of a wait that ran out of time (as timeout(1)'s). */
export const WAIT_TIMED_OUT = 124;

/**
 * Follow a job until it ends, over the API's event stream (the client's `wait`), showing each
 * change on stderr: redrawn in place on a terminal, one line per change otherwise. Prints the
 * final view; 0 if it completed, 1 if it ended otherwise, WAIT_TIMED_OUT past `--timeout`.
 */
const follow = async (
  context: CommandContext,
  client: DocketClient,
  id: string,
  command: string,
): Promise<number> => {
  const timeoutMs = durationOption(context, "timeout");
  const terminal = process.stderr.isTTY === true && !context.json;
  let drawn = false;
  const show = (update: JobView) => {
    if (context.json) return;
    if (!terminal) return void process.stderr.write(`${progressLine(update)}\n`);
    // Redraw the one progress line: back to its start, clear it, write it again.
    process.stderr.write(`\r\x1b[2K${progressLine(update)}`);
    drawn = true;
  };
  try {
    const final = await client.wait(id, {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      onUpdate: show,
    });
    if (drawn) process.stderr.write("\n");
    context.print(final, jobDetails);
    return final.status === "completed" ? 0 : 1;
  } catch (error) {
    if (drawn) process.stderr.write("\n");
    if (!(error instanceof DocketApiError) || error.code !== "wait_timeout") throw error;
    if (context.json)
      process.stdout.write(
        `${JSON.stringify({ error: { code: error.code, message: error.message, ...error.details } }, null, 2)}\n`,
      );
    process.stderr.write(`docket ${command}: ${error.message}\n`);
    return WAIT_TIMED_OUT;
  }
};

const submit: Command = {
  name: "jobs submit",
  summary: "Submit a job; with --wait, follow it until it ends (exit 1 unless it completed).",
  args: "<type>",
  options: {
    payload: { type: "string", description: "the payload as JSON (default null)" },
    queue: { type: "string", description: "queue name (default: default)" },
    priority: {
      type: "string",
      description: "critical | high | normal | low, or its level 30 | 20 | 10 | 0 (default normal)",
    },
    "max-attempts": { type: "string", description: "attempts allowed (default 3)" },
    "timeout-ms": { type: "string", description: "per-attempt timeout" },
    "delay-ms": { type: "string", description: "run no earlier than this many ms from now" },
    "idempotency-key": { type: "string", description: "a repeat with the same key returns the first job" },
    meta: { type: "string", description: 'labels to show and search by, a JSON object: {"tenant":"acme"}' },
    "depends-on": {
      type: "string",
      description: "jobs to wait for, comma-separated ids, each optionally id:fail|ignore|continue",
    },
    wait: { type: "boolean", description: "wait for the job to end, showing its progress" },
    timeout: { type: "string", description: "with --wait: give up after this long (30s, 5m, …; exit 124)" },
  },
  details: CLIENT_DETAILS,
  run: async (context) => {
    const type = requirePositional(context, 0, "<type>");
    if (context.values.timeout !== undefined && context.values.wait !== true)
      throw new UsageError("--timeout goes with --wait");
    const payload = stringOption(context, "payload");
    const maxAttempts = intOption(context, "max-attempts", 1);
    const timeoutMs = intOption(context, "timeout-ms", 1);
    const delayMs = intOption(context, "delay-ms");
    const meta = stringOption(context, "meta");
    const priority = stringOption(context, "priority");
    const dependsOn = dependsOnOption(stringOption(context, "depends-on"));
    const spec = {
      type,
      ...(payload === undefined ? {} : { payload: jsonOption(payload, "payload") }),
      ...(stringOption(context, "queue") === undefined ? {} : { queue: stringOption(context, "queue") }),
      // A level typed as digits goes as a number (the API's form of a level), anything else as typed.
      ...(priority === undefined
        ? {}
        : { priority: /^[0-9]{1,3}$/.test(priority) ? Number(priority) : priority }),
      ...(maxAttempts === undefined ? {} : { maxAttempts }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(delayMs === undefined ? {} : { delayMs }),
      ...(meta === undefined ? {} : { meta: jsonOption(meta, "meta") }),
      ...(dependsOn === undefined ? {} : { dependsOn }),
    };
    const client = await clientFromEnv();
    const key = stringOption(context, "idempotency-key");
    // What the user typed goes to the API as typed, for the API to judge (a refusal names the
    // field and exits 2, ADR 0020): the spec is a SubmitRequest only if the API accepts it.
    const job = await client.submit(spec as SubmitRequest, key === undefined ? {} : { idempotencyKey: key });
    if (context.values.wait !== true) {
      context.print(job, (j: JobView) => `${j.id} ${j.status}`);
      return 0;
    }
    return follow(context, client, job.id, "jobs submit");
  },
};

/**
 * `--depends-on a,b:ignore,c:continue`: ids as typed (the API judges them), each with its policy
 * after a colon when given.
 */
const dependsOnOption = (
  value: string | undefined,
): ReadonlyArray<string | { jobId: string; onFailure: string }> | undefined => {
  if (value === undefined) return undefined;
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => {
      const colon = item.lastIndexOf(":");
      return colon === -1 ? item : { jobId: item.slice(0, colon), onFailure: item.slice(colon + 1) };
    });
};

const flow: Command = {
  name: "jobs flow",
  summary: "Submit a flow: a parent job and its children (and theirs), all or nothing.",
  args: "<flow JSON | @file>",
  details: `The flow is {"job": <spec>, "children": [{"job": <spec>, "onFailure"?: "fail"|"ignore"|"continue", "children"?: [...]}]},
each <spec> as \`jobs submit\` sends it (type, payload, queue, ...). The parent waits until its
children end. Prints the flow's jobs as a tree (see \`jobs tree\`).
${CLIENT_DETAILS}`,
  run: async (context) => {
    const given = requirePositional(context, 0, "<flow JSON | @file>");
    const text = given.startsWith("@") ? await readFile(given.slice(1), "utf8") : given;
    const client = await clientFromEnv();
    const submitted = await client.submitFlow(jsonOption(text, "flow") as FlowRequest);
    context.print(submitted, (s: FlowSubmitted) => jobTree(s.tree));
    return 0;
  },
};

const tree: Command = {
  name: "jobs tree",
  summary: "Show a job and the jobs it depends on (its flow's children, and theirs).",
  args: "<id>",
  details: CLIENT_DETAILS,
  run: async (context) => {
    const client = await clientFromEnv();
    context.print(await client.tree(requirePositional(context, 0, "<id>")), jobTree);
    return 0;
  },
};

const wait: Command = {
  name: "jobs wait",
  summary: "Follow a job until it ends (exit 0 if it completed, 1 otherwise, 124 past --timeout).",
  args: "<id>",
  options: {
    timeout: { type: "string", description: "give up after this long: 500ms, 30s, 5m, 1h (exit 124)" },
  },
  details: `${CLIENT_DETAILS}
Follows the API's event stream (GET /v1/events), resuming where it was after an API restart.`,
  run: async (context) =>
    follow(context, await clientFromEnv(), requirePositional(context, 0, "<id>"), "jobs wait"),
};

const get: Command = {
  name: "jobs get",
  summary: "Show a job's current state.",
  args: "<id>",
  details: CLIENT_DETAILS,
  run: async (context) => {
    const client = await clientFromEnv();
    context.print(await client.get(requirePositional(context, 0, "<id>")), jobDetails);
    return 0;
  },
};

const list: Command = {
  name: "jobs list",
  summary: "List jobs, newest first (from the projection).",
  options: {
    status: { type: "string", description: "filter by status" },
    type: { type: "string", description: "filter by job type" },
    queue: { type: "string", description: "filter by queue" },
    limit: { type: "string", description: "page size, 1..500 (default 50)" },
    cursor: { type: "string", description: "the nextCursor of a previous page" },
    "created-from": { type: "string", description: "created at or after (ISO 8601 or epoch ms)" },
    "created-to": { type: "string", description: "created before (ISO 8601 or epoch ms)" },
    "ended-from": { type: "string", description: "ended at or after (ISO 8601 or epoch ms)" },
    "ended-to": { type: "string", description: "ended before (ISO 8601 or epoch ms)" },
    "error-code": { type: "string", description: "the latest error's code" },
    "error-text": { type: "string", description: "text the latest error's message contains" },
    meta: { type: "string", description: "key (the meta has it) or key=value (it is that value)" },
  },
  details: CLIENT_DETAILS,
  run: async (context) => {
    const limit = intOption(context, "limit", 1);
    const [status, type, queue, cursor] = ["status", "type", "queue", "cursor"].map((name) =>
      stringOption(context, name),
    );
    const search: Record<string, string> = {};
    for (const [flag, field] of [
      ["created-from", "createdFrom"],
      ["created-to", "createdTo"],
      ["ended-from", "endedFrom"],
      ["ended-to", "endedTo"],
      ["error-code", "errorCode"],
      ["error-text", "errorText"],
    ] as const) {
      const value = stringOption(context, flag);
      if (value !== undefined) search[field] = value;
    }
    const meta = stringOption(context, "meta");
    if (meta !== undefined) {
      // key=value: the first "=" splits (a key is a plain name, so it holds none).
      const split = meta.indexOf("=");
      if (split === -1) search.metaKey = meta;
      else {
        search.metaKey = meta.slice(0, split);
        search.metaValue = meta.slice(split + 1);
      }
    }
    const client = await clientFromEnv();
    const page = await client.list({
      // Sent as typed for the API to judge, as a submit's spec (a bad status is a 400, exit 2).
      ...(status === undefined ? {} : { status: status as JobStatus }),
      ...(type === undefined ? {} : { type }),
      ...(queue === undefined ? {} : { queue }),
      ...(limit === undefined ? {} : { limit }),
      ...(cursor === undefined ? {} : { cursor }),
      ...search,
    });
    context.print(page, (p: typeof page) =>
      p.nextCursor === undefined
        ? jobsTable(p.jobs)
        : `${jobsTable(p.jobs)}\n(more: --cursor ${p.nextCursor})`,
    );
    return 0;
  },
};

const events: Command = {
  name: "jobs events",
  summary: "A job's events, exactly as recorded and hashed.",
  args: "<id>",
  details: CLIENT_DETAILS,
  run: async (context) => {
    const client = await clientFromEnv();
    const events = await client.events(requirePositional(context, 0, "<id>"));
    context.print({ events }, (v: { events: typeof events }) => eventsTable(v.events));
    return 0;
  },
};

const cancel: Command = {
  name: "jobs cancel",
  summary: "Cancel a job (a running handler is aborted).",
  args: "<id>",
  options: { reason: { type: "string", description: "why (recorded in the event)" } },
  details: CLIENT_DETAILS,
  run: async (context) => {
    const client = await clientFromEnv();
    const job = await client.cancel(requirePositional(context, 0, "<id>"), stringOption(context, "reason"));
    context.print(job, (j: JobView) => `${j.id} ${j.status}`);
    return 0;
  },
};

const signal: Command = {
  name: "jobs signal",
  summary: "Send a signal to a job: its handler's ctx.waitFor(<name>) returns it (ADR 0043).",
  args: "<id> <name>",
  options: { payload: { type: "string", description: "JSON payload handed to waitFor (optional)" } },
  details: CLIENT_DETAILS,
  run: async (context) => {
    const id = requirePositional(context, 0, "<id>");
    const name = requirePositional(context, 1, "<name>");
    const payload = stringOption(context, "payload");
    const client = await clientFromEnv();
    // The API checks the payload (JSON, at most 64 KiB) as it checks a submit's.
    const job = await client.signal(
      id,
      name,
      payload === undefined ? undefined : (jsonOption(payload, "payload") as SignalRequest["payload"]),
    );
    context.print(job, (j: JobView) => `${j.id} ${j.status}`);
    return 0;
  },
};

const retry: Command = {
  name: "jobs retry",
  summary: "Retry a dead-lettered job.",
  args: "<id>",
  options: {
    reason: { type: "string", description: "why (recorded in the event)" },
    attempts: { type: "string", description: "attempts to grant (default: the job's maxAttempts)" },
  },
  details: CLIENT_DETAILS,
  run: async (context) => {
    const attempts = intOption(context, "attempts", 1);
    const reason = stringOption(context, "reason");
    const client = await clientFromEnv();
    const job = await client.retry(requirePositional(context, 0, "<id>"), {
      ...(reason === undefined ? {} : { reason }),
      ...(attempts === undefined ? {} : { attempts }),
    });
    context.print(job, (j: JobView) => `${j.id} ${j.status}`);
    return 0;
  },
};

const purge: Command = {
  name: "jobs purge",
  summary: "Purge finished jobs from Redis (recorded; their history stays in the signed archive).",
  options: {
    status: { type: "string", description: "completed, dead_letter or cancelled (required)" },
    "older-than": {
      type: "string",
      description: "ended at least this long ago: 90s, 15m, 24h, 7d (required)",
    },
    limit: { type: "string", description: "at most this many jobs (default 10000)" },
  },
  details: `Each job is recorded as purged (a JobEvicted event naming you), and leaves Redis once the
archiver has archived that record; its whole history, the record included, stays in the archive
and reads as before. Retention does the same by itself (DOCKET_RETAIN_COMPLETED, _DEAD, _CANCELLED).
${CLIENT_DETAILS}`,
  run: async (context) => {
    const status = stringOption(context, "status");
    const olderThan = stringOption(context, "older-than");
    if (status !== "completed" && status !== "dead_letter" && status !== "cancelled")
      throw new UsageError("--status must be completed, dead_letter or cancelled");
    if (olderThan === undefined) throw new UsageError("--older-than is required (e.g. 7d)");
    const limit = intOption(context, "limit", 1);
    const purged = await (
      await clientFromEnv()
    ).purge({
      status,
      olderThan,
      ...(limit === undefined ? {} : { limit }),
    });
    context.print({ purged }, (v: { purged: number }) => `${v.purged} job(s) recorded as purged`);
    return 0;
  },
};

const deadLetters: Command = {
  name: "jobs dead-letters",
  summary: "List dead-lettered jobs, newest first.",
  options: { limit: { type: "string", description: "how many (default 50)" } },
  details: CLIENT_DETAILS,
  run: async (context) => {
    const client = await clientFromEnv();
    const jobs = await client.deadLetters(intOption(context, "limit", 1));
    context.print({ jobs }, (v: { jobs: typeof jobs }) => jobsTable(v.jobs));
    return 0;
  },
};

const metrics: Command = {
  name: "jobs metrics",
  summary: "Counts by status, durations by type, queue depth and throughput.",
  details: CLIENT_DETAILS,
  run: async (context) => {
    const client = await clientFromEnv();
    const m = await client.metrics();
    context.print(m, (v: Metrics) =>
      [
        table([["STATUS", "JOBS"], ...Object.entries(v.byStatus).map(([s, n]) => [s, String(n)])]),
        "",
        table([
          ["QUEUE", "WAITING", "PENDING"],
          ...v.queues.map((q) => [q.queue, String(q.waiting), String(q.pending)]),
        ]),
        // Several shards (on a Redis Cluster, spread over masters): how evenly they carry the work.
        ...(v.shards.length > 1
          ? [
              "",
              table([
                ["SHARD", "WAITING", "PENDING", "PROJECTOR BEHIND MS"],
                ...v.shards.map((s) => [
                  String(s.shard),
                  String(s.waiting),
                  String(s.pending),
                  s.projectorBehindMs === null ? "?" : String(s.projectorBehindMs),
                ]),
              ]),
            ]
          : []),
        "",
        table([
          ["TYPE", "DONE", "AVG MS", "P95 MS"],
          ...v.durations.map((d) => [d.type, String(d.count), d.avgMs.toFixed(1), d.p95Ms.toFixed(1)]),
        ]),
      ].join("\n"),
    );
    return 0;
  },
};

export const jobCommands: ReadonlyArray<Command> = [
  submit,
  flow,
  tree,
  get,
  wait,
  list,
  events,
  cancel,
  signal,
  retry,
  purge,
  deadLetters,
  metrics,
];
