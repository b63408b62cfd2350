/**
 * `docket schedules ...` (ADR 0037): create, list, show, update, pause, resume and remove cron
 * schedules, client commands over the HTTP API. What the user typed goes to the API as typed,
 * for the API to judge (a refusal names the field and exits 2, ADR 0020).
 */
import type { CreateScheduleRequest, ScheduleView, UpdateScheduleRequest } from "../../client/index.ts";
import {
  type Command,
  type CommandContext,
  intOption,
  jsonOption,
  requirePositional,
  stringOption,
  UsageError,
} from "../command.ts";
import { CLIENT_DETAILS, clientFromEnv } from "../env.ts";
import { scheduleDetails, schedulesTable } from "../render/schedules.ts";

const DEFINITION_OPTIONS = {
  cron: {
    type: "string",
    description: 'cron expression: 5 fields, or 6 with seconds first ("*/10 * * * * *")',
  },
  timezone: { type: "string", description: "IANA time zone of the cron (default UTC)" },
  type: { type: "string", description: "the job's type (or give the whole spec with --job)" },
  payload: { type: "string", description: "with --type: the job's payload as JSON" },
  job: { type: "string", description: 'the whole job spec as JSON: {"type":"report","queue":"low"}' },
  overlap: { type: "string", description: "allow (default) | skip: skip a tick while the last job runs" },
  "catch-up": {
    type: "string",
    description: "none (default) | last | all: ticks missed while no scheduler ran",
  },
  "catch-up-max": {
    type: "string",
    description: "with --catch-up all: the most missed ticks fired (default 10)",
  },
} as const;

/** The definition fields given on the command line (those not given are left out). */
const definitionOf = (context: CommandContext): Record<string, unknown> => {
  const jobText = stringOption(context, "job");
  const type = stringOption(context, "type");
  const payload = stringOption(context, "payload");
  if (jobText !== undefined && (type !== undefined || payload !== undefined))
    throw new UsageError("give --job, or --type (and --payload), not both");
  if (payload !== undefined && type === undefined) throw new UsageError("--payload goes with --type");
  const job =
    jobText !== undefined
      ? jsonOption(jobText, "job")
      : type === undefined
        ? undefined
        : { type, ...(payload === undefined ? {} : { payload: jsonOption(payload, "payload") }) };
  const catchUpMax = intOption(context, "catch-up-max");
  const fields: Record<string, unknown> = {
    cron: stringOption(context, "cron"),
    timezone: stringOption(context, "timezone"),
    job,
    overlap: stringOption(context, "overlap"),
    catchUp: stringOption(context, "catch-up"),
    catchUpMax,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
};

const printOne = (context: CommandContext, schedule: ScheduleView): number => {
  context.print(schedule, (s: ScheduleView) => `${s.name} ${s.status} next ${s.nextFireTimes[0] ?? "-"}`);
  return 0;
};

const list: Command = {
  name: "schedules list",
  summary: "Schedules (not removed), with their next fire time and counts.",
  details: CLIENT_DETAILS,
  run: async (context) => {
    const schedules = await (await clientFromEnv()).schedules();
    context.print({ schedules }, (v: { schedules: ReadonlyArray<ScheduleView> }) =>
      schedulesTable(v.schedules),
    );
    return 0;
  },
};

const show: Command = {
  name: "schedules show",
  summary: "A schedule: its definition, next fire times and latest firings; --verify checks its history.",
  args: "<name>",
  options: {
    verify: { type: "boolean", description: "verify its history (hash chain and machine); exit 1 if not" },
  },
  details: CLIENT_DETAILS,
  run: async (context) => {
    const name = requirePositional(context, 0, "<name>");
    const client = await clientFromEnv();
    if (context.values.verify === true) {
      const history = await client.scheduleHistory(name);
      context.print(
        {
          name: history.name,
          events: history.events.length,
          verified: history.verified,
          problem: history.problem,
        },
        (v: { events: number; verified: boolean; problem?: string | undefined }) =>
          v.verified ? `verified: ${v.events} events` : `NOT verified: ${v.problem ?? ""}`,
      );
      return history.verified ? 0 : 1;
    }
    context.print(await client.schedule(name), scheduleDetails);
    return 0;
  },
};

const create: Command = {
  name: "schedules create",
  summary: "Create a schedule: a job submitted at each tick of a cron expression.",
  args: "<name>",
  options: DEFINITION_OPTIONS,
  details: `Each tick fires exactly once however many docket processes run the scheduler (docket api,
start and worker run one unless DOCKET_SCHEDULER=off). ${CLIENT_DETAILS}`,
  run: async (context) => {
    const name = requirePositional(context, 0, "<name>");
    const definition = definitionOf(context);
    if (definition.cron === undefined) throw new UsageError("--cron is required");
    if (definition.job === undefined) throw new UsageError("--type or --job is required");
    const client = await clientFromEnv();
    return printOne(context, await client.createSchedule({ name, ...definition } as CreateScheduleRequest));
  },
};

const update: Command = {
  name: "schedules update",
  summary: "Change a schedule: the options given replace its own (ticks from now on follow them).",
  args: "<name>",
  options: DEFINITION_OPTIONS,
  details: CLIENT_DETAILS,
  run: async (context) => {
    const name = requirePositional(context, 0, "<name>");
    const change = definitionOf(context);
    if (Object.keys(change).length === 0) throw new UsageError("nothing to change: give at least one option");
    const client = await clientFromEnv();
    return printOne(context, await client.updateSchedule(name, change as UpdateScheduleRequest));
  },
};

const action = (
  verb: "pause" | "resume" | "remove",
  summary: string,
  call: (client: Awaited<ReturnType<typeof clientFromEnv>>, name: string) => Promise<ScheduleView>,
): Command => ({
  name: `schedules ${verb}`,
  summary,
  args: "<name>",
  details: CLIENT_DETAILS,
  run: async (context) =>
    printOne(context, await call(await clientFromEnv(), requirePositional(context, 0, "<name>"))),
});

export const scheduleCommands: ReadonlyArray<Command> = [
  list,
  show,
  create,
  update,
  action("pause", "Pause a schedule: its ticks are not fired (nor caught up when resumed).", (c, n) =>
    c.pauseSchedule(n),
  ),
  action("resume", "Resume a paused schedule.", (c, n) => c.resumeSchedule(n)),
  action("remove", "Remove a schedule (its history stays; the name may be used again).", (c, n) =>
    c.removeSchedule(n),
  ),
];
