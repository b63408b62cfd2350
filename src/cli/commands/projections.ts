/**
 * `docket projections rebuild|check|quarantine`. The projection file has one owner (ADR 0009):
 * normally the running API process, which these commands ask over HTTP; with --offline (no API
 * running) they open DOCKET_DB themselves.
 */
import type { DocketClient } from "../../client/index.ts";
import type { CheckReport, QuarantineRecord, RebuildReport } from "../../contract/index.ts";
import type { OpenReadSide } from "../../main.ts";
import { CLIENT_DETAILS, clientFromEnv, readEnv } from "../env.ts";
import { type Command, type CommandContext, stringOption, UsageError } from "../command.ts";
import { archiveAccess } from "../env.ts";

const OFFLINE = {
  offline: { type: "boolean", description: "no API is running: open DOCKET_DB directly" },
} as const;

const offline = async <A>(work: (side: OpenReadSide) => Promise<A>): Promise<A> => {
  const env = await readEnv();
  const { openReadSide } = await import("../../main.ts");
  const side = openReadSide({
    redisUrl: env.redisUrl,
    prefix: env.prefix,
    shards: env.shards,
    leaseMs: env.leaseMs,
    dbPath: env.dbPath,
    archive: archiveAccess(env),
  });
  try {
    await side.ready();
    return await work(side);
  } finally {
    await side.close();
  }
};

/** Asked of the API that owns the projection, or done here with --offline. */
const viaApi = <A>(
  context: CommandContext,
  ask: (client: DocketClient) => Promise<A>,
  work: (side: OpenReadSide) => Promise<A>,
): Promise<A> => (context.values.offline === true ? offline(work) : clientFromEnv().then(ask));

const rebuild: Command = {
  name: "projections rebuild",
  summary: "Replay the whole log into a new projection file and swap it in.",
  options: OFFLINE,
  details: CLIENT_DETAILS,
  run: async (context) => {
    const report = await viaApi(
      context,
      (client) => client.rebuildProjection(),
      (side) => side.rebuild(),
    );
    context.print(report, (r: RebuildReport) => `rebuilt from ${r.events} events in ${Math.round(r.ms)} ms`);
    return 0;
  },
};

const check: Command = {
  name: "projections check",
  summary: "Rebuild into a scratch file and compare it with the live projection, row for row.",
  options: OFFLINE,
  details: CLIENT_DETAILS,
  run: async (context) => {
    const report = await viaApi(
      context,
      (client) => client.checkProjection(),
      (side) => side.check(),
    );
    context.print(report, (r: CheckReport) =>
      r.equal
        ? "projection equals a fresh rebuild from the log, row for row"
        : [
            `${r.differences.length} difference(s):`,
            ...r.differences.map((d) => `  ${JSON.stringify(d)}`),
          ].join("\n"),
    );
    return report.equal ? 0 : 1;
  },
};

const quarantine: Command = {
  name: "projections quarantine",
  summary: "Skip one undecodable shard-log entry in every projection, recorded with who and why.",
  args: "<shard> <entryId>",
  options: {
    reason: { type: "string", description: "why it is skipped (required; recorded, listed by audit verify)" },
    ...OFFLINE,
  },
  details: `When the projector halts on a log entry that is not a valid event, /health says "degraded"
and names the shard and the entry id. Once you know what the entry is (docket audit verify lists it),
quarantine it: the projector, rebuilds and checks skip it from then on, and audit verify reports it
as quarantined. Only an entry that does not decode can be quarantined (ADR 0019).
${CLIENT_DETAILS}`,
  run: async (context) => {
    const [shardText, entryId, ...rest] = context.positionals;
    if (shardText === undefined || entryId === undefined || rest.length > 0)
      throw new UsageError("expected <shard> <entryId>");
    if (!/^[0-9]{1,4}$/.test(shardText))
      throw new UsageError(`<shard> must be a shard number, got ${shardText}`);
    if (!/^[0-9]{1,20}-[0-9]{1,20}$/.test(entryId))
      throw new UsageError(`<entryId> must be a stream entry id such as 1732312345678-0, got ${entryId}`);
    const reason = stringOption(context, "reason");
    if (reason === undefined || reason.trim() === "") throw new UsageError("--reason is required");
    const shard = Number(shardText);
    const record = await (context.values.offline === true
      ? offline((side) =>
          side.quarantine({
            shard,
            entryId,
            reason,
            actor: { kind: "operator", id: process.env.USER ?? "cli" },
          }),
        )
      : (await clientFromEnv()).quarantine(shard, entryId, reason));
    context.print(
      record,
      (r: QuarantineRecord) =>
        `quarantined shard ${r.shard} entry ${r.entryId} (${r.problem}) by ${r.actor.id} at ${r.at}`,
    );
    return 0;
  },
};

export const projectionCommands: ReadonlyArray<Command> = [rebuild, check, quarantine];
