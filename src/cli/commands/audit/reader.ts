/**
 * Where the audit commands (docs/audit.md) get their answers. Like the `jobs` commands they ask
 * the running API (DOCKET_API_URL, DOCKET_API_TOKEN), so an audit checks the same deployment the
 * other commands talk to (ADR 0020); `--direct` reads Redis itself, read-only (REDIS_URL,
 * DOCKET_PREFIX, DOCKET_SHARDS), for when no API runs. Either way the answers have the API
 * contract's types (src/contract), which the engine's reports fit (src/api/contract-drift.ts).
 * Every report names what it checked: the API's URL, or Redis's URL (without its password) and
 * key prefix, or the bundle file.
 */
import type { DocketClient } from "../../../client/index.ts";
import type { Explanation, ReplayReport, StateAt, VerifyReport } from "../../../contract/index.ts";
import type { VerifyOptions } from "../../../engine/audit/index.ts";
import type { openAudit } from "../../../main.ts";
import { redactUrl } from "../../../infra/redact-url.ts";
import { clientFromEnv, readEnv } from "../../env.ts";
import { type CommandContext, type OptionSpec, UsageError } from "../../command.ts";
import { archiveAccess } from "../../env.ts";

export const SOURCE_DETAILS = `Asks the running API (DOCKET_API_URL, with DOCKET_API_TOKEN when set), which reads the event
store itself, never the projection. With --direct, reads Redis directly and read-only instead
(REDIS_URL, DOCKET_PREFIX, DOCKET_SHARDS): for when no API runs. Every report names the deployment
it checked. Exit codes: 0 ok, 1 a check failed, the job is unknown or the API or Redis does not
answer, 2 usage or configuration error.`;

export const DIRECT: Readonly<Record<string, OptionSpec>> = {
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

export const describeDeployment = (d: Deployment): string =>
  d.via === "api"
    ? `the API at ${d.url}`
    : d.via === "redis"
      ? `Redis at ${d.url}, key prefix ${d.prefix}, ${d.shards} shard${d.shards === 1 ? "" : "s"} (--direct)`
      : `the bundle file ${d.path}`;

type Audit = Awaited<ReturnType<typeof openAudit>>;

/** The audit operations, answered by the API or by Redis directly. */
export interface AuditReader {
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
export const tools = () => import("../../../engine/audit/index.ts");

/** An unknown job is JobNotFound, as the API says (loaded with the rest, when a command runs). */
const found = async <A>(jobId: string, value: A | null): Promise<A> => {
  if (value !== null) return value;
  const { JobNotFound } = await import("../../../engine/shared/index.ts");
  throw new JobNotFound({ jobId });
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
    await found(options.jobId, null);
  if (!header.done) yield header.value;
  yield* lines;
}

/** Run `work` with the reader the options ask for: the API, or Redis with --direct. */
export const withReader = async <A>(
  context: CommandContext,
  work: (reader: AuditReader) => Promise<A>,
): Promise<A> => {
  const env = await readEnv();
  if (context.values.direct !== true) return work(throughApi(await clientFromEnv(), env.apiUrl));
  const { openAudit } = await import("../../../main.ts");
  const audit = await openAudit({
    redisUrl: env.redisUrl,
    prefix: env.prefix,
    shards: env.shards,
    archive: archiveAccess(env),
  });
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
export const printReport = <R extends object>(
  context: CommandContext,
  deployment: Deployment,
  report: R,
  render: (report: R) => string,
): void =>
  context.print(
    { ...report, deployment },
    () => `Checked: ${describeDeployment(deployment)}\n${render(report)}`,
  );

export const instantArg = async (text: string, name: string): Promise<number> => {
  const [{ parseInstant }, Result] = await Promise.all([tools(), import("effect/Result")]);
  const parsed = parseInstant(text);
  if (Result.isFailure(parsed)) throw new UsageError(`${name}: ${parsed.failure}`);
  return parsed.success;
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
  const env = await readEnv();
  if (context.values["offline-projection"] === true) {
    const { openReadSide } = await import("../../../main.ts");
    const side = openReadSide({ ...env, dbPath: env.dbPath, archive: archiveAccess(env) });
    try {
      await side.ready();
      const differences = describeProjectionDifferences((await side.check()).differences);
      return async () => differences;
    } finally {
      await side.close();
    }
  }
  try {
    const client = await clientFromEnv();
    const check = await client.checkProjection();
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
