/** The typed client as the CLI's client commands use it: configured from the environment. */
import * as Schema from "effect/Schema";
import { DocketClient } from "../client/index.ts";
import { ActorClaim } from "../domain/events.ts";
import { readEnv } from "./config.ts";

/** The login name, sent as the (unauthenticated) Docket-Actor claim when the API would accept it. */
const claimedUser = (): string | undefined => {
  const user = process.env.USER;
  return user !== undefined && Schema.is(ActorClaim)(user) ? user : undefined;
};

export const clientFromEnv = (): DocketClient => {
  const env = readEnv();
  const actor = claimedUser();
  return new DocketClient({
    baseUrl: env.apiUrl,
    ...(env.token === undefined ? {} : { token: env.token }),
    ...(actor === undefined ? {} : { actor }),
  });
};

export const CLIENT_DETAILS = `Talks to the HTTP API at DOCKET_API_URL (default http://127.0.0.1:$PORT, PORT=3000),
with DOCKET_API_TOKEN as bearer token when set. Start the API with \`docket start\` or \`docket api\`.`;
