/**
 * The API's credentials: named bearer tokens, and the rules for their names and values (ADR
 * 0017). The name of the token a request presented is its principal, recorded as the actor id
 * of the events it causes. Used by the CLI's configuration (DOCKET_API_TOKEN, DOCKET_API_TOKENS)
 * and checked again by `buildApp`, so a list that reaches the API is always a valid one.
 *
 * Problems are described by position only: a misplaced separator can turn a token into a
 * "name", so no part of an entry is ever echoed back.
 */
import * as Result from "effect/Result";

export interface NamedToken {
  /** The principal: recorded as the actor id of every event its requests cause. */
  readonly name: string;
  /** The secret a caller presents as `Authorization: Bearer <token>`. */
  readonly token: string;
}

/** The principal of the single DOCKET_API_TOKEN. */
export const DEFAULT_PRINCIPAL = "default";
/** The principal of every request when the API runs without tokens. */
export const ANONYMOUS_PRINCIPAL = "anonymous";

/** 1 to 64 ASCII letters, digits and `_ . @ -`, starting with a letter or digit. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
/** 1 to 4096 visible ASCII characters: no spaces or control characters (an HTTP header value). */
const TOKEN = /^[\x21-\x7e]{1,4096}$/;

export const NAME_RULE = "1 to 64 of A-Z a-z 0-9 _ . @ - starting with a letter or digit";
export const TOKEN_RULE = "1 to 4096 visible ASCII characters (no spaces)";

export const isToken = (text: string): boolean => TOKEN.test(text);

/**
 * Why a token list cannot be used, or undefined when it can: a bad name or value, a name used
 * twice, the same token under two names (a request's identity would be ambiguous), or the
 * reserved name `anonymous` (in the log it means "the API ran without tokens").
 */
export const tokenListProblem = (tokens: ReadonlyArray<NamedToken>): string | undefined => {
  for (const [i, { name, token }] of tokens.entries()) {
    const at = `entry ${i + 1} of ${tokens.length}`;
    if (!NAME.test(name)) return `${at}: the name must be ${NAME_RULE}`;
    if (name === ANONYMOUS_PRINCIPAL) return `${at}: the name "${ANONYMOUS_PRINCIPAL}" is reserved`;
    if (!TOKEN.test(token)) return `${at}: the token must be ${TOKEN_RULE}`;
    for (let j = 0; j < i; j++) {
      const earlier = tokens[j] as NamedToken;
      if (earlier.name === name) return `entries ${j + 1} and ${i + 1} have the same name`;
      if (earlier.token === token) return `entries ${j + 1} and ${i + 1} have the same token`;
    }
  }
  return undefined;
};

/**
 * Parse `name:token,name2:token2` (DOCKET_API_TOKENS) into a usable list. A token may contain
 * `:` (the name ends at the first one) but not `,`.
 */
export const parseNamedTokens = (text: string): Result.Result<ReadonlyArray<NamedToken>, string> => {
  const entries = text.split(",");
  const tokens: Array<NamedToken> = [];
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(":");
    if (colon < 0) return Result.fail(`entry ${index + 1} of ${entries.length} is not name:token`);
    tokens.push({ name: entry.slice(0, colon), token: entry.slice(colon + 1) });
  }
  const problem = tokenListProblem(tokens);
  return problem === undefined ? Result.succeed(tokens) : Result.fail(problem);
};

/**
 * The tokens the API accepts: the named ones, plus the single token as principal `default`.
 * When the single token equals a named one it is that principal, so a shell that runs the API
 * with named tokens can give the CLI one of them as its single token.
 */
export const acceptedTokens = (
  single: string | undefined,
  named: ReadonlyArray<NamedToken>,
): Result.Result<ReadonlyArray<NamedToken>, string> => {
  if (single === undefined || named.some((t) => t.token === single)) return Result.succeed(named);
  const clash = named.findIndex((t) => t.name === DEFAULT_PRINCIPAL);
  if (clash >= 0)
    return Result.fail(
      `entry ${clash + 1} is named "${DEFAULT_PRINCIPAL}", the principal of the single token: rename it, or give both the same token`,
    );
  return Result.succeed([{ name: DEFAULT_PRINCIPAL, token: single }, ...named]);
};
