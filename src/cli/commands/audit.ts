/**
 * `docket audit replay|at|explain|verify|export` (docs/audit.md): the auditor's tools. They read
 * Redis directly and read-only (REDIS_URL, DOCKET_PREFIX, DOCKET_SHARDS), not through the API, so
 * they work with no API running; `verify --file` needs neither Redis nor a database.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import * as Result from "effect/Result";
import type { VerifyOptions } from "../../engine/audit/index.ts";
import { JobNotFound } from "../../engine/errors.ts";
import type { RowDifference } from "../../engine/projection-store.ts";
import type { openAudit } from "../../main.ts";
import { clientFromEnv } from "../api-client.ts";
import {
  type Command,
  type CommandContext,
  requirePositional,
  stringOption,
  UsageError,
} from "../command.ts";
import { readEnv } from "../config.ts";

const REDIS_DETAILS = `Reads Redis directly and read-only (REDIS_URL, DOCKET_PREFIX, DOCKET_SHARDS), not through
the HTTP API: it works with no API running and never writes to Redis. Exit codes: 0 ok, 1 a check failed
or the job is unknown, 2 usage or configuration error.`;

type Audit = Awaited<ReturnType<typeof openAudit>>;

/**
 * The audit tools and the composition root are loaded when an audit command runs, as the other
 * commands load theirs: every `docket` command would otherwise pay for loading them (ADR 0010).
 */
const tools = () => import("../../engine/audit/index.ts");

const withAudit = async <A>(work: (audit: Audit) => Promise<A>): Promise<A> => {
  const env = readEnv();
  const { openAudit } = await import("../../main.ts");
  const audit = await openAudit({ redisUrl: env.redisUrl, prefix: env.prefix, shards: env.shards });
  try {
    return await work(audit);
  } finally {
    await audit.close();
  }
};

const found = <A>(jobId: string, value: A | null): A => {
  if (value === null) throw new JobNotFound({ jobId });
  return value;
};

const instantArg = async (text: string, name: string): Promise<number> => {
  const { parseInstant } = await tools();
  const parsed = parseInstant(text);
  if (Result.isFailure(parsed)) throw new UsageError(`${name}: ${parsed.failure}`);
  return parsed.success;
};

const replay: Command = {
  name: "audit replay",
  summary: "Replay a job's stored events with the state after each; exit 1 naming the first bad event.",
  args: "<jobId>",
  options: { full: { type: "boolean", description: "print each event's data whole (default: cut at 120)" } },
  details: REDIS_DETAILS,
  run: async (context) => {
    const jobId = requirePositional(context, 0, "<jobId>");
    const { renderReplay } = await tools();
    const report = found(jobId, await withAudit((audit) => audit.replay(jobId)));
    context.print(report, (r: typeof report) =>
      renderReplay(r, context.values.full === true ? { maxDataChars: 0 } : {}),
    );
    return report.ok ? 0 : 1;
  },
};

const at: Command = {
  name: "audit at",
  summary: "A job's state as it was at a time (ISO 8601 or epoch ms), folded from its events.",
  args: "<jobId> <time>",
  details: `Before the job's first event it says the job did not exist yet (exit 0). A broken
history before that time prints the last trustworthy state and exits 1.\n\n${REDIS_DETAILS}`,
  run: async (context) => {
    const jobId = requirePositional(context, 0, "<jobId>");
    const atMs = await instantArg(requirePositional(context, 1, "<time>"), "<time>");
    const { renderStateAt } = await tools();
    const answer = found(jobId, await withAudit((audit) => audit.stateAt(jobId, atMs)));
    context.print(answer, renderStateAt);
    return answer.failure === null ? 0 : 1;
  },
};

const explain: Command = {
  name: "audit explain",
  summary: "A plain-language account of why a job ended where it did.",
  args: "<jobId>",
  details: `Attempts and their errors, timeouts, reclaimed leases, who retried or cancelled it and why.
Exits 1 when the history is broken (the account then stops at the first bad event).\n\n${REDIS_DETAILS}`,
  run: async (context) => {
    const jobId = requirePositional(context, 0, "<jobId>");
    const { renderExplanation } = await tools();
    const explanation = found(jobId, await withAudit((audit) => audit.explain(jobId)));
    context.print(explanation, renderExplanation);
    return explanation.integrity === null ? 0 : 1;
  },
};

/**
 * The projection comparison for a whole-log verify: the running API owns the projection file
 * (ADR 0009), so ask it; with --offline-projection open DOCKET_DB here. If neither can be done,
 * say why: the report lists the check as skipped.
 */
const projectionComparison = async (
  context: CommandContext,
): Promise<NonNullable<VerifyOptions["projection"]>> => {
  const { describeProjectionDifferences } = await tools();
  if (context.values["offline-projection"] === true) {
    const env = readEnv();
    const { openReadSide } = await import("../../main.ts");
    const side = openReadSide({ ...env, dbPath: env.dbPath });
    try {
      await side.ready();
      const differences = describeProjectionDifferences((await side.check()).differences);
      return async () => differences;
    } finally {
      await side.close();
    }
  }
  const env = readEnv();
  try {
    const check = await clientFromEnv().post<{ differences: ReadonlyArray<RowDifference> }>(
      "/v1/projections/check",
    );
    const differences = describeProjectionDifferences(check.differences);
    return async () => differences;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const why =
      error instanceof TypeError && cause?.code === "ECONNREFUSED"
        ? "does not answer"
        : `failed: ${(error as Error).message}`;
    return {
      skipped: `the API at ${env.apiUrl} (which owns the projection) ${why}; start it, or use --offline-projection to open DOCKET_DB (${env.dbPath}) directly`,
    };
  }
};

const verifyFile = async (context: CommandContext, file: string): Promise<number> => {
  for (const flag of ["job", "drained", "offline-projection"])
    if (context.values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to --file`);
  const { renderBundleReport, splitLines, verifyBundle } = await tools();
  const stream = createReadStream(file);
  const opened = once(stream, "open");
  opened.catch(() => {});
  await opened;
  const report = await verifyBundle(splitLines(stream));
  context.print(report, renderBundleReport);
  return report.ok ? 0 : 1;
};

const verify: Command = {
  name: "audit verify",
  summary: "Verify the event log (or one job, or a bundle file); exit 1 on any failure.",
  options: {
    job: { type: "string", description: "verify only this job" },
    drained: { type: "boolean", description: "the system has drained: every job must be terminal" },
    file: { type: "string", description: "verify an exported bundle offline (no Redis, no database)" },
    "offline-projection": {
      type: "boolean",
      description: "no API is running: open DOCKET_DB to compare the projection",
    },
  },
  details: `Checks seq contiguity, hash chains, the legality of every transition, heads, that every
event is exactly once in its shard log and vice versa, invariants 3, 5 and 9, and (whole log only)
that the SQLite projection equals the fold of the log. The projection is compared by the running
API (POST /v1/projections/check, DOCKET_API_URL) or, with --offline-projection, by opening
DOCKET_DB here; if neither is possible the report says the check was SKIPPED.

${REDIS_DETAILS}`,
  run: async (context) => {
    const file = stringOption(context, "file");
    if (file !== undefined) return verifyFile(context, file);
    const jobId = stringOption(context, "job");
    const drained = context.values.drained === true;
    // One job: verify lists the projection as skipped without running it (it is whole-log).
    const projection = jobId === undefined ? await projectionComparison(context) : async () => [];
    const report = await withAudit((audit) =>
      audit.verify({ ...(jobId === undefined ? {} : { jobId }), drained, projection }),
    );
    const { renderVerifyReport } = await tools();
    context.print(report, renderVerifyReport);
    return report.ok ? 0 : 1;
  },
};

const write = async (out: NodeJS.WritableStream, text: string): Promise<void> => {
  if (!out.write(text)) await once(out, "drain");
};

const exportCommand: Command = {
  name: "audit export",
  summary: "Write an audit bundle (NDJSON, docs/audit-bundle.md) to stdout or a file, streaming.",
  options: {
    job: { type: "string", description: "export only this job" },
    since: {
      type: "string",
      description: "only jobs with an event at or after this time (ISO 8601 or epoch ms)",
    },
    out: { type: "string", description: "write to this file instead of stdout" },
  },
  details: `Verify the bundle anywhere with \`docket audit verify --file <bundle>\`. --json has no effect
(the bundle is NDJSON).\n\n${REDIS_DETAILS}`,
  run: async (context) => {
    const jobId = stringOption(context, "job");
    const since = stringOption(context, "since");
    const sinceMs = since === undefined ? undefined : await instantArg(since, "--since");
    const { headerJobCount } = await tools();
    const path = stringOption(context, "out");
    return withAudit(async (audit) => {
      const lines = audit.exportBundle({
        ...(jobId === undefined ? {} : { jobId }),
        ...(sinceMs === undefined ? {} : { sinceMs }),
        generatedAtMs: Date.now(),
      });
      const header = await lines.next();
      if (jobId !== undefined && headerJobCount(header.done ? undefined : header.value) === 0)
        throw new JobNotFound({ jobId });
      const out = path === undefined ? process.stdout : createWriteStream(path);
      let events = 0;
      if (!header.done) await write(out, header.value);
      for await (const line of lines) {
        await write(out, line);
        events++;
      }
      if (path !== undefined) {
        out.end();
        await once(out, "finish");
        process.stderr.write(`wrote ${events} events to ${path}\n`);
      }
      return 0;
    });
  },
};

export const auditCommands: ReadonlyArray<Command> = [replay, at, explain, verify, exportCommand];
