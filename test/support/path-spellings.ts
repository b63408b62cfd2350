/**
 * Ways of writing a request target that a router, a proxy or a URL parser may read as the
 * given path — or as no route at all. Used to check that no spelling of a protected route is
 * served without a token (ADR 0017): each one must reach the route's own guard or the
 * deny-by-default answer for unknown paths.
 */

const hex = (char: string, lower: boolean): string => {
  const code = char.charCodeAt(0).toString(16).padStart(2, "0");
  return `%${lower ? code : code.toUpperCase()}`;
};

/** Percent-encode the characters at `positions` (indices into the path; `/` included). */
export const encodeAt = (path: string, positions: ReadonlySet<number>, lower = false): string =>
  [...path].map((char, i) => (positions.has(i) ? hex(char, lower) : char)).join("");

/** Index of the n-th character of the path that is not a `/`. */
const nthNonSlash = (path: string, n: number): number => {
  let seen = -1;
  for (let i = 0; i < path.length; i++) if (path[i] !== "/" && ++seen === n) return i;
  return -1;
};

/** The last `/` that is not the leading one (a target must start with `/`), or -1. */
const innerSlash = (path: string): number => (path.lastIndexOf("/") > 0 ? path.lastIndexOf("/") : -1);

const firstSegment = (path: string): string =>
  path.slice(0, path.indexOf("/", 1) < 0 ? path.length : path.indexOf("/", 1));

/** Path-to-path rewrites; they compose. */
export const PATH_SPELLINGS: Readonly<Record<string, (path: string) => string>> = {
  "as registered": (p) => p,
  "first letter %-encoded (/%761/…)": (p) => encodeAt(p, new Set([nthNonSlash(p, 0)])),
  "second letter %-encoded (/v%31/…)": (p) => encodeAt(p, new Set([nthNonSlash(p, 1)])),
  "every letter %-encoded, lower-case hex": (p) =>
    encodeAt(p, new Set([...p].flatMap((c, i) => (c === "/" ? [] : [i]))), true),
  "last slash as %2F": (p) => encodeAt(p, new Set([innerSlash(p)])),
  "last slash as %2f": (p) => encodeAt(p, new Set([innerSlash(p)]), true),
  "leading double slash": (p) => `/${p}`,
  "double slash after the first segment": (p) => `${firstSegment(p)}/${p.slice(firstSegment(p).length)}`,
  "dot-dot segment (/v1/../v1/…)": (p) => `${firstSegment(p)}/..${p}`,
  "dot segment (/./v1/…)": (p) => `/.${p}`,
  "encoded dot-dot (/%2e%2e/…)": (p) => `${firstSegment(p)}/%2e%2e${p}`,
  "from a public route (/health/../v1/…)": (p) => `/health/..${p}`,
  "trailing slash": (p) => `${p}/`,
  "trailing ;params": (p) => `${p};jsessionid=1`,
  "; params in the first segment": (p) => `${firstSegment(p)};x=1${p.slice(firstSegment(p).length)}`,
  "upper case": (p) => p.toUpperCase(),
  "empty query": (p) => `${p}?`,
  "public path in the query": (p) => `${p}?/health`,
  "encoded ? then a public path": (p) => `${p}%3F/health`,
  "fragment naming a public path": (p) => `${p}#/health`,
  "NUL escape": (p) => `${p}%00`,
};

/** Rewrites of the whole request target (applied last: they do not compose with path ones). */
export const TARGET_SPELLINGS: Readonly<Record<string, (path: string, port: number) => string>> = {
  "origin-form": (p) => p,
  "absolute-form, this server": (p, port) => `http://127.0.0.1:${port}${p}`,
  "absolute-form, another host": (p) => `http://evil.example${p}`,
  "absolute-form, upper-case scheme": (p, port) => `HTTP://127.0.0.1:${port}${p}`,
  "absolute-form, public path as userinfo": (p, port) => `http://health@127.0.0.1:${port}${p}`,
};
