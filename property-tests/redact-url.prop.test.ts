/**
 * The URL redaction (src/infra/redact-url.ts) that every printed Redis or API URL goes through:
 * whatever the password, in a URL or inside a free text, it never comes out.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactUrl, redactUrlsIn } from "../src/infra/redact-url.ts";

const host = fc.constantFrom("127.0.0.1", "localhost", "[::1]", "redis.internal", "10.0.0.7");
const scheme = fc.constantFrom("redis", "rediss", "http", "https");
/** Passwords long enough not to be found by chance in the rest of the URL. */
const password = fc.string({ minLength: 6, maxLength: 40, unit: "grapheme" }).filter((p) => p.trim() === p);
const user = fc.constantFrom("", "default", "docket");

const urlWith = (s: string, u: string, p: string, h: string, port: number) =>
  `${s}://${encodeURIComponent(u)}:${encodeURIComponent(p)}@${h}:${port}/0`;

/** Every way the password could be printed: as given, percent-encoded, or in the URL's form. */
const spellings = (p: string): ReadonlyArray<string> => [p, encodeURIComponent(p)];

describe("URL redaction", () => {
  it("a raw password (not percent-encoded) never appears either, whatever it holds", () => {
    fc.assert(
      fc.property(scheme, password, host, (s, p, h) => {
        const shown = redactUrl(`${s}://:${p}@${h}:6379`);
        expect(shown).not.toContain(p);
        expect(shown.startsWith(`${s}://***@`)).toBe(true);
      }),
    );
  });

  it("a URL's password never appears in its redacted form, which keeps scheme, host and port", () => {
    fc.assert(
      fc.property(scheme, user, password, host, fc.integer({ min: 1, max: 65535 }), (s, u, p, h, port) => {
        const url = urlWith(s, u, p, h, port);
        const shown = redactUrl(url);
        for (const spelling of spellings(p)) expect(shown).not.toContain(spelling);
        expect(shown.startsWith(`${s}://***@`)).toBe(true);
        expect(shown).toContain(h);
      }),
    );
  });

  it("a password never appears when the URL sits inside a message, raw or unparseable", () => {
    fc.assert(
      fc.property(
        scheme,
        password.filter((p) => !/\s/.test(p)),
        host,
        fc.string({ maxLength: 20 }),
        (s, p, h, before) => {
          const raw = `${s}://:${p}@${h}:6379`;
          const message = `${before.replace(/\S+:\/\//g, "")} failed at ${raw} and ${urlWith(s, "", p, h, 1)}.`;
          const shown = redactUrlsIn(message);
          for (const spelling of spellings(p)) expect(shown).not.toContain(`:${spelling}@`);
          expect(shown).not.toContain(`${p}@`);
        },
      ),
    );
  });

  it("leaves URLs without credentials as written, and hides credential-like query parameters", () => {
    expect(redactUrl("http://127.0.0.1:3000")).toBe("http://127.0.0.1:3000");
    expect(redactUrl("redis://127.0.0.1:6379/2")).toBe("redis://127.0.0.1:6379/2");
    expect(redactUrl("redis://:p%40ss@127.0.0.1:6379")).toBe("redis://***@127.0.0.1:6379");
    expect(redactUrl("redis://h:1?password=x&db=2")).toBe("redis://h:1?password=***&db=2");
    expect(redactUrl("redis://:a/b@h:1")).toBe("redis://***@h:1");
    // Parses as user ":s3cr3t p", host "ss", hash "#1@host…": still nothing of the password.
    expect(redactUrl("redis://:s3cr3t p@ss/#1@host:6379")).toBe("redis://***@host:6379");
  });
});
