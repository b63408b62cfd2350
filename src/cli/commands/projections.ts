/**
 * `docket projections rebuild|check`. The projection file has one owner (ADR 0009): normally the
 * running API process, which these commands ask over HTTP; with --offline (no API running) they
 * open DOCKET_DB themselves.
 */
import type { OpenReadSide } from "../../main.ts";
import { CLIENT_DETAILS, clientFromEnv } from "../api-client.ts";
import type { Command, CommandContext } from "../command.ts";
import { readEnv } from "../config.ts";

const OFFLINE = {
  offline: { type: "boolean", description: "no API is running: open DOCKET_DB directly" },
} as const;

const offline = async <A>(work: (side: OpenReadSide) => Promise<A>): Promise<A> => {
  const env = readEnv();
  const { openReadSide } = await import("../../main.ts");
  const side = openReadSide({
    redisUrl: env.redisUrl,
    prefix: env.prefix,
    shards: env.shards,
    leaseMs: env.leaseMs,
    dbPath: env.dbPath,
  });
  try {
    await side.ready();
    return await work(side);
  } finally {
    await side.close();
  }
};

const viaApi = <A>(context: CommandContext, path: string, work: (side: OpenReadSide) => Promise<A>) =>
  context.values.offline === true ? offline(work) : clientFromEnv().post<A>(path);

const rebuild: Command = {
  name: "projections rebuild",
  summary: "Replay the whole log into a new projection file and swap it in.",
  options: OFFLINE,
  details: CLIENT_DETAILS,
  run: async (context) => {
    const report = await viaApi(context, "/v1/projections/rebuild", (side) => side.rebuild());
    context.print(
      report,
      (r: { events: number; ms: number }) => `rebuilt from ${r.events} events in ${Math.round(r.ms)} ms`,
    );
    return 0;
  },
};

const check: Command = {
  name: "projections check",
  summary: "Rebuild into a scratch file and compare it with the live projection, row for row.",
  options: OFFLINE,
  details: CLIENT_DETAILS,
  run: async (context) => {
    const report = await viaApi(context, "/v1/projections/check", (side) => side.check());
    context.print(report, (r: { equal: boolean; differences: ReadonlyArray<unknown> }) =>
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

export const projectionCommands: ReadonlyArray<Command> = [rebuild, check];
