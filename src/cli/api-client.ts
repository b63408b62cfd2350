/** The typed client as the CLI's client commands use it: configured from the environment. */
import { DocketClient } from "../client/index.ts";
import { ACTOR_CLAIM_PATTERN } from "../domain/limits.ts";
import { readEnv } from "./config.ts";

/** The login name, sent as the (unauthenticated) Docket-Actor claim when the API would accept it. */
const claimedUser = (): string | undefined => {
  const user = process.env.USER;
  return user !== undefined && ACTOR_CLAIM_PATTERN.test(user) ? user : undefined;
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
