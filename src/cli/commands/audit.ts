/**
 * `docket audit replay|at|explain|verify|export` (docs/audit.md): the auditor's tools. Like the
 * `jobs` commands they ask the running API (DOCKET_API_URL, DOCKET_API_TOKEN), so an audit
 * checks the same deployment the other commands talk to (ADR 0020); `--direct` reads Redis
 * itself, read-only (REDIS_URL, DOCKET_PREFIX, DOCKET_SHARDS), for when no API runs; `verify
 * --file` needs neither. Every report names what it checked: the API's URL, or Redis's URL
 * (without its password) and key prefix, or the bundle file.
 */
import { ARCHIVE_VERIFY_OPTIONS, verifyArchiveFromCli } from "./audit-archive.ts";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import * as Result from "effect/Result";
import type { DocketClient } from "../../client/docket-client.ts";
import type {
  Explanation,
  ReplayReport,
  StateAt,
  VerifyOptions,
  VerifyReport,
} from "../../engine/audit/index.ts";
import { JobNotFound } from "../../engine/shared/index.ts";
import type { RowDifference } from "../../engine/read/index.ts";
import type { openAudit } from "../../main.ts";
import { redactUrl } from "../../infra/redact-url.ts";
import { clientFromEnv } from "../api-client.ts";
import {
  type Command,
  type CommandContext,
  type OptionSpec,
  requirePositional,
  stringOption,
  UsageError,
} from "../command.ts";
import { readEnv } from "../config.ts";
import { renderBundleReport } from "../render/bundle.ts";
import { renderExplanation } from "../render/explain.ts";
import { renderReplay } from "../render/replay.ts";
import { renderStateAt } from "../render/time-travel.ts";
import { renderVerifyReport } from "../render/verify.ts";

const SOURCE_DETAILS = `Asks the running API (DOCKET_API_URL, with DOCKET_API_TOKEN when set), which reads the event
store itself, never the projection. With --direct, reads Redis directly and read-only instead
(REDIS_URL, DOCKET_PREFIX, DOCKET_SHARDS): for when no API runs. Every report names the deployment
it checked. Exit codes: 0 ok, 1 a check failed, the job is unknown or the API or Redis does not
answer, 2 usage or configuration error.`;

const DIRECT: Readonly<Record<string, OptionSpec>> = {
  direct: {
    type: "boolean",
    description: "read Redis directly (REDIS_URL, DOCKET_PREFIX) instead of asking the API",
  },
};

/** What a report was checked against. */
export type Deployment =
  | { readonly via: "api"; readonly url: string }
  | { readonly via: "redis"; readonly url: string; readonly prefix: string; readonly shards: number }
  | { readonly via: "file"; readonly path: string };

const describeDeployment = (d: Deployment): string =>
  d.via === "api"
    ? `the API at ${d.url}`
    : d.via === "redis"
      ? `Redis at ${d.url}, key prefix ${d.prefix}, ${d.shards} shard${d.shards === 1 ? "" : "s"} (--direct)`
      : `the bundle file ${d.path}`;

type Audit = Awaited<ReturnType<typeof openAudit>>;

/** The audit operations, answered by the API or by Redis directly. */
interface AuditReader {
  readonly deployment: Deployment;
  replay(jobId: string): Promise<ReplayReport>;
  stateAt(jobId: string, atMs: number): Promise<StateAt>;
  explain(jobId: string): Promise<Explanation>;
  verify(options: { readonly jobId?: string; readonly drained: boolean }): Promise<VerifyReport>;
  /** The bundle's NDJSON text, in chunks. */
  exportBundle(options: {
    readonly jobId?: string;
    readonly sinceMs?: number;
  }): AsyncIterable<string | Uint8Array>;
}

/**
 * The audit tools and the composition root are loaded when an audit command runs, as the other
 * commands load theirs: every `docket` command would otherwise pay for loading them (ADR 0010).
 */
const tools = () => import("../../engine/audit/index.ts");

const found = <A>(jobId: string, value: A | null): A => {
  if (value === null) throw new JobNotFound({ jobId });
  return value;
};

const throughApi = (client: DocketClient, url: string): AuditReader => ({
  deployment: { via: "api", url: redactUrl(url) },
  replay: (jobId) => client.replay(jobId),
  stateAt: (jobId, atMs) => client.stateAt(jobId, atMs),
  explain: (jobId) => client.explain(jobId),
  verify: (options) =>
    client.verify({
      ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
      drained: options.drained,
    }),
  exportBundle: (options) =>
    client.exportBundle({
      ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
      ...(options.sinceMs === undefined ? {} : { since: options.sinceMs }),
    }),
});

const direct = (audit: Audit, deployment: Deployment, context: CommandContext): AuditReader => ({
  deployment,
  replay: async (jobId) => found(jobId, await audit.replay(jobId)),
  stateAt: async (jobId, atMs) => found(jobId, await audit.stateAt(jobId, atMs)),
  explain: async (jobId) => found(jobId, await audit.explain(jobId)),
  verify: async (options) =>
    audit.verify({
      ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
      drained: options.drained,
      // One job: verify lists the projection as skipped without running it (it is whole-log).
      projection: options.jobId === undefined ? await projectionComparison(context) : async () => [],
    }),
  exportBundle: (options) => directExport(audit, options),
});

/** The bundle from Redis; an unknown job is an error, not an empty bundle (as the API says). */
async function* directExport(
  audit: Audit,
  options: { readonly jobId?: string; readonly sinceMs?: number },
): AsyncGenerator<string> {
  const { headerJobCount } = await tools();
  const lines = audit.exportBundle({ ...options, generatedAtMs: Date.now() });
  const header = await lines.next();
  if (options.jobId !== undefined && headerJobCount(header.done ? undefined : header.value) === 0)
    throw new JobNotFound({ jobId: options.jobId });
  if (!header.done) yield header.value;
  yield* lines;
}

/** Run `work` with the reader the options ask for: the API, or Redis with --direct. */
const withReader = async <A>(
  context: CommandContext,
  work: (reader: AuditReader) => Promise<A>,
): Promise<A> => {
  const env = readEnv();
  if (context.values.direct !== true) return work(throughApi(clientFromEnv(), env.apiUrl));
  const { openAudit } = await import("../../main.ts");
  const audit = await openAudit({ redisUrl: env.redisUrl, prefix: env.prefix, shards: env.shards });
  try {
    return await work(
      direct(
        audit,
        { via: "redis", url: redactUrl(env.redisUrl), prefix: env.prefix, shards: env.shards },
        context,
      ),
    );
  } finally {
    await audit.close();
  }
};

/** Print a report with the deployment it checked: a first line in text, a field in JSON. */
const printReport = <R extends object>(
  context: CommandContext,
  deployment: Deployment,
  report: R,
  render: (report: R) => string,
): void =>
  context.print(
    { ...report, deployment },
    () => `Checked: ${describeDeployment(deployment)}\n${render(report)}`,
  );

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
  options: {
    full: { type: "boolean", description: "print each event's data whole (default: cut at 120)" },
    ...DIRECT,
  },
  details: SOURCE_DETAILS,
  run: async (context) => {
    const jobId = requirePositional(context, 0, "<jobId>");
    return withReader(context, async (reader) => {
      const report = await reader.replay(jobId);
      printReport(context, reader.deployment, report, (r) =>
        renderReplay(r, context.values.full === true ? { maxDataChars: 0 } : {}),
      );
      return report.ok ? 0 : 1;
    });
  },
};

const at: Command = {
  name: "audit at",
  summary: "A job's state as it was at a time (ISO 8601 or epoch ms), folded from its events.",
  args: "<jobId> <time>",
  options: DIRECT,
  details: `Before the job's first event it says the job did not exist yet (exit 0). A broken
history before that time prints the last trustworthy state and exits 1.\n\n${SOURCE_DETAILS}`,
  run: async (context) => {
    const jobId = requirePositional(context, 0, "<jobId>");
    const atMs = await instantArg(requirePositional(context, 1, "<time>"), "<time>");
    return withReader(context, async (reader) => {
      const answer = await reader.stateAt(jobId, atMs);
      printReport(context, reader.deployment, answer, renderStateAt);
      return answer.failure === null ? 0 : 1;
    });
  },
};

const explain: Command = {
  name: "audit explain",
  summary: "A plain-language account of why a job ended where it did.",
  args: "<jobId>",
  options: DIRECT,
  details: `Attempts and their errors, timeouts, reclaimed leases, who retried or cancelled it and why.
Exits 1 when the history is broken (the account then stops at the first bad event).\n\n${SOURCE_DETAILS}`,
  run: async (context) => {
    const jobId = requirePositional(context, 0, "<jobId>");
    return withReader(context, async (reader) => {
      const explanation = await reader.explain(jobId);
      printReport(context, reader.deployment, explanation, renderExplanation);
      return explanation.integrity === null ? 0 : 1;
    });
  },
};

/**
 * The projection comparison for a whole-log verify with --direct: the running API owns the
 * projection file (ADR 0009), so ask it; with --offline-projection open DOCKET_DB here. If
 * neither can be done, say why: the report lists the check as skipped.
 */
const projectionComparison = async (
  context: CommandContext,
): Promise<NonNullable<VerifyOptions["projection"]>> => {
  const { describeProjectionDifferences } = await tools();
  const env = readEnv();
  if (context.values["offline-projection"] === true) {
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
      skipped: `the API at ${redactUrl(env.apiUrl)} (which owns the projection) ${why}; start it, or use --offline-projection to open DOCKET_DB (${env.dbPath}) directly`,
    };
  }
};

const verifyFile = async (context: CommandContext, file: string): Promise<number> => {
  for (const flag of ["job", "drained", "offline-projection", "direct"])
    if (context.values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to --file`);
  const { splitLines, verifyBundle } = await tools();
  const stream = createReadStream(file);
  const opened = once(stream, "open");
  opened.catch(() => {});
  await opened;
  const report = await verifyBundle(splitLines(stream));
  printReport(context, { via: "file", path: file }, report, renderBundleReport);
  return report.ok ? 0 : 1;
};

const verify: Command = {
  name: "audit verify",
  summary: "Verify the event log (or one job, or a bundle file); exit 1 on any failure.",
  options: {
    job: { type: "string", description: "verify only this job" },
    drained: { type: "boolean", description: "the system has drained: every job must be terminal" },
    file: {
      type: "string",
      description: "verify an exported bundle offline (no API, no Redis, no database)",
    },
    ...ARCHIVE_VERIFY_OPTIONS,
    ...DIRECT,
    "offline-projection": {
      type: "boolean",
      description: "with --direct and no API running: open DOCKET_DB to compare the projection",
    },
  },
  details: `Checks seq contiguity, hash chains, the legality of every transition, heads, that every
event is exactly once in its shard log and vice versa, invariants 3, 5 and 9, and (whole log only)
that the SQLite projection equals the fold of the log. Through the API, the API compares its own
projection. With --direct the projection is compared by the running API (POST
/v1/projections/check) or, with --offline-projection, by opening DOCKET_DB here; if neither is
possible the report says the check was SKIPPED.

${SOURCE_DETAILS}`,
  run: async (context) => {
    const archive = stringOption(context, "archive");
    if (archive !== undefined) return verifyArchiveFromCli(context, archive);
    const file = stringOption(context, "file");
    if (file !== undefined) return verifyFile(context, file);
    if (context.values["offline-projection"] === true && context.values.direct !== true)
      throw new UsageError(
        "--offline-projection needs --direct (through the API, the API compares its projection)",
      );
    const jobId = stringOption(context, "job");
    const drained = context.values.drained === true;
    return withReader(context, async (reader) => {
      const report = await reader.verify({ ...(jobId === undefined ? {} : { jobId }), drained });
      printReport(context, reader.deployment, report, renderVerifyReport);
      return report.ok ? 0 : 1;
    });
  },
};

const write = async (out: NodeJS.WritableStream, chunk: string | Uint8Array): Promise<void> => {
  if (!out.write(chunk)) await once(out, "drain");
};

const newlines = (chunk: string | Uint8Array): number => {
  let count = 0;
  if (typeof chunk === "string") {
    for (let i = chunk.indexOf("\n"); i !== -1; i = chunk.indexOf("\n", i + 1)) count++;
  } else for (const byte of chunk) if (byte === 0x0a) count++;
  return count;
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
    ...DIRECT,
  },
  details: `Verify the bundle anywhere with \`docket audit verify --file <bundle>\`. --json has no effect
(the bundle is NDJSON). What was exported, and from where, is said on stderr.\n\n${SOURCE_DETAILS}`,
  run: async (context) => {
    const jobId = stringOption(context, "job");
    const since = stringOption(context, "since");
    const sinceMs = since === undefined ? undefined : await instantArg(since, "--since");
    const path = stringOption(context, "out");
    return withReader(context, async (reader) => {
      const chunks = reader.exportBundle({
        ...(jobId === undefined ? {} : { jobId }),
        ...(sinceMs === undefined ? {} : { sinceMs }),
      });
      let out: NodeJS.WritableStream | undefined;
      let lines = 0;
      for await (const chunk of chunks) {
        // Opened at the first chunk: an unknown job or an API error leaves no empty file behind.
        out ??= path === undefined ? process.stdout : createWriteStream(path);
        await write(out, chunk);
        lines += newlines(chunk);
      }
      if (path !== undefined && out !== undefined) {
        out.end();
        await once(out, "finish");
      }
      const events = Math.max(0, lines - 1);
      process.stderr.write(
        `docket audit export: ${events} events from ${describeDeployment(reader.deployment)}${path === undefined ? "" : ` to ${path}`}\n`,
      );
      return 0;
    });
  },
};

export const auditCommands: ReadonlyArray<Command> = [replay, at, explain, verify, exportCommand];
