/**
 * The dashboard's files are public (src/api/ui.ts), so its path is a boundary anyone can probe.
 * Over a real socket, with tokens configured: any path under /ui/ built from hostile segments —
 * dot segments in any encoding, encoded slashes and backslashes, NUL, lone surrogates' and
 * overlong UTF-8 bytes, huge names, real file names — answers below 500, and a 200 is always
 * exactly one of the dashboard's own files: never a file outside its folder, never an API answer.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "../test/support/api.ts";
import { rawRequest } from "../test/support/raw-http.ts";
import { startRedis, type TestRedis } from "../test/support/redis.ts";
import { TEST_UI_DIR } from "../test/support/ui-build.ts";

let redis: TestRedis;
let api: TestApi;
let port: number;
let files: ReadonlyMap<string, string>;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url, { tokens: [{ name: "prop", token: "prop-token-0123456789" }] });
  await api.app.listen({ port: 0, host: "127.0.0.1" });
  port = (api.app.server.address() as { port: number }).port;
  files = new Map(
    readdirSync(TEST_UI_DIR).map((file) => [file, readFileSync(join(TEST_UI_DIR, file), "utf8")]),
  );
}, 60_000);
afterAll(async () => {
  await api.stop();
  await redis.stop();
});

const segment = fc.oneof(
  fc.constantFrom(
    "..",
    ".",
    "%2e%2e",
    "%2E%2E",
    ".%2e",
    "..%2f",
    "..%5c",
    "%2f",
    "%5c",
    "%00",
    "%ED%A0%80",
    "%C0%AE%C0%AE",
    "%",
    "%zz",
    "index.html",
    "app.js",
    "app.css",
    "package.json",
    "etc",
    "passwd",
    "v1",
    "jobs",
    "",
  ),
  fc.string({ unit: "grapheme", maxLength: 12 }).map(encodeURIComponent),
  fc.string({ maxLength: 4_000, unit: "binary-ascii" }).map(encodeURIComponent),
);

describe("paths under /ui/", () => {
  it("answer below 500, and a 200 is exactly one of the dashboard's own files", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 6 }), async (segments) => {
        const target = `/ui/${segments.join("/")}`;
        const answer = await rawRequest(port, { method: "GET", target });
        expect(answer.status, target).toBeLessThan(500);
        if (answer.status === 200) expect([...files.values()], target).toContain(answer.body);
      }),
      { numRuns: 300 },
    );
  });
});
