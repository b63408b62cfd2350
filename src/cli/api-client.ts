/** The typed client as the CLI's client commands use it: configured from the environment. */
import { DocketClient } from "../client/docket-client.ts";
import { readEnv } from "./config.ts";

export const clientFromEnv = (): DocketClient => {
  const env = readEnv();
  return new DocketClient({
    baseUrl: env.apiUrl,
    ...(env.token === undefined ? {} : { token: env.token }),
    actor: process.env.USER ?? "cli",
  });
};

export const CLIENT_DETAILS = `Talks to the HTTP API at DOCKET_API_URL (default http://127.0.0.1:$PORT, PORT=3000),
with DOCKET_API_TOKEN as bearer token when set. Start the API with \`docket start\` or \`docket api\`.`;
