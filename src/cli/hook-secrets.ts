/**
 * Inbound hook sources for `docket api` and `docket start` (ADR 0038): DOCKET_HOOK_SECRET_<SOURCE>
 * variables (config.ts) and, when DOCKET_HOOK_SECRETS_FILE names one, a JSON file of
 * `{ "<source>": "<secret>" }` (kept out of the environment, e.g. a mounted secret). A variable
 * wins over the file for the same source. Errors name the file and the source, never a secret.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "./config-error.ts";

const SOURCE = /^[a-z0-9][a-z0-9-]{0,31}$/;
const SECRET = /^[\x21-\x7e]{16,256}$/;

export const hookSecretsOf = (
  fromEnv: ReadonlyMap<string, string>,
  file: string | undefined,
): ReadonlyMap<string, string> => {
  if (file === undefined || file === "") return fromEnv;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(
      `invalid DOCKET_HOOK_SECRETS_FILE ${JSON.stringify(file)}: ${(error as Error).message}`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new ConfigError(`invalid DOCKET_HOOK_SECRETS_FILE: expected a JSON object of source → secret`);
  const secrets = new Map<string, string>();
  for (const [source, secret] of Object.entries(parsed)) {
    if (!SOURCE.test(source))
      throw new ConfigError(
        `invalid DOCKET_HOOK_SECRETS_FILE: source ${JSON.stringify(source.slice(0, 40))} must be 1 to 32 of a-z 0-9 -`,
      );
    if (typeof secret !== "string" || !SECRET.test(secret))
      throw new ConfigError(
        `invalid DOCKET_HOOK_SECRETS_FILE: the secret of ${source} (not shown) must be 16 to 256 printable ASCII characters`,
      );
    secrets.set(source, secret);
  }
  for (const [source, secret] of fromEnv) secrets.set(source, secret);
  return secrets;
};
