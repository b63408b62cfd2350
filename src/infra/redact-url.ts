/**
 * The one redaction of URLs for anything Docket prints (logs, errors, reports): a URL's user
 * info (`user:password@`) becomes `***@`, and query parameters that look like credentials
 * (`password=`, `token=`…) become `***`. Every place that prints a Redis or API URL goes through
 * here (ADR 0020), so a password given in REDIS_URL never reaches a terminal or a log file.
 */

const SECRET_PARAM = /pass|secret|token|auth|key/i;

/**
 * `redis://:p%40ss@host:6379/0` → `redis://***@host:6379/0`; anything else in the URL is kept as
 * written.
 */
export const redactUrl = (url: string): string => {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const credentials = parsed === undefined || parsed.username !== "" || parsed.password !== "";
  // Never print what sits between "//" and the host's "@". A password may hold a raw "@", "/" or
  // "#" (a URL that does not parse, or parses oddly): everything up to the last "@" goes.
  let text = credentials
    ? url.replace(/^([a-z][a-z0-9+.-]*:)?\/\/.*@/is, (_m, scheme?: string) => `${scheme ?? ""}//***@`)
    : url;
  if (parsed === undefined) return text;
  for (const name of new Set(parsed.searchParams.keys()))
    if (SECRET_PARAM.test(name)) {
      const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      text = text.replace(new RegExp(`([?&]${escaped}=)[^&#]*`, "g"), "$1***");
    }
  return text;
};

const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/\S+/gi;

/** Every URL inside a free text (an error message, a log line) redacted. */
export const redactUrlsIn = (text: string): string => text.replace(URL_IN_TEXT, (url) => redactUrl(url));
