/**
 * The configuration and the API client, loaded when a command runs rather than when `docket`
 * starts: reading the environment validates it with Effect Schema, which costs more to load than
 * the rest of `docket --help` (ADR 0032). Commands import these instead of config.ts and
 * api-client.ts.
 */
import type { DocketClient } from "../client/index.ts";
import type { DocketEnv } from "./config.ts";

/** The environment, validated (ConfigError, exit 2, naming a bad variable). */
export const readEnv = async (): Promise<DocketEnv> => (await import("./config.ts")).readEnv();

/** The typed client, configured from the environment (DOCKET_API_URL, DOCKET_API_TOKEN). */
export const clientFromEnv = async (): Promise<DocketClient> =>
  (await import("./api-client.ts")).clientFromEnv();

export const CLIENT_DETAILS = `Talks to the HTTP API at DOCKET_API_URL (default http://127.0.0.1:$PORT, PORT=3000),
with DOCKET_API_TOKEN as bearer token when set. Start the API with \`docket start\` or \`docket api\`.`;

/**
 * Where this process reads the archive back (ADR 0034): the archiver's directory and key, from
 * the same variables, whether or not this process archives.
 */
export const archiveAccess = (
  env: Pick<DocketEnv, "archive">,
): {
  archiveDir: string;
  dataDir: string;
  signingKeyPath?: string;
  trustedKeyPaths: ReadonlyArray<string>;
} => ({
  archiveDir: env.archive.dir,
  dataDir: env.archive.dataDir,
  ...(env.archive.signingKeyPath === undefined ? {} : { signingKeyPath: env.archive.signingKeyPath }),
  trustedKeyPaths: env.archive.trustedKeyPaths,
});
