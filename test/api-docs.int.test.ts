/**
 * `/docs`: the Swagger UI page over the API's OpenAPI document (src/api/docs.ts), over a real
 * socket with tokens configured. The page and every asset it names are served without a token
 * (public, like /openapi.json), from the package's own files (no CDN); the document it shows is
 * /openapi.json's; hostile paths under /docs/ get a 4xx and never a file outside the UI's folder;
 * and nothing under /docs makes a protected route public.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../src/api/openapi.ts";
import { startApi, type TestApi } from "./support/api.ts";
import { rawRequest } from "./support/raw-http.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";

let redis: TestRedis;
let api: TestApi;
let port: number;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url, { token: "docs-test-token-0123" });
  await api.app.listen({ port: 0, host: "127.0.0.1" });
  port = (api.app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await api.stop();
  await redis.stop();
});

const get = (target: string) => rawRequest(port, { method: "GET", target });

describe("the documentation page", () => {
  it("serves the Swagger UI page and every asset it names, without a token and from no other host", async () => {
    const page = await get("/docs");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.body).toContain("swagger-ui");
    expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
    // Assets are named relative to the page; none comes from elsewhere (a CDN would need Internet).
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    expect(assets.filter((asset) => /^(https?:)?\/\//.test(asset))).toEqual([]);
    const types: Record<string, string> = {};
    for (const asset of assets) {
      const target = new URL(asset, `http://127.0.0.1:${port}/docs/`).pathname;
      const response = await get(target);
      expect(response.status, target).toBe(200);
      types[target.slice(target.lastIndexOf("."))] =
        (response.headers["content-type"] ?? "").split(";")[0] ?? "";
    }
    expect(types).toMatchObject({ ".js": "application/javascript", ".css": "text/css" });
    expect((await rawRequest(port, { method: "HEAD", target: "/docs" })).status).toBe(200);
  });

  it("shows the document /openapi.json serves", async () => {
    const response = await get("/docs/json");
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual(openApiDocument());
    const initializer = await get("/docs/static/swagger-initializer.js");
    expect(initializer.status).toBe(200);
    expect(initializer.body).toContain("json");
  });

  it("answers hostile paths under /docs/ with a 4xx, never a file outside the UI's folder", async () => {
    const hostile = [
      "/docs/static/../../package.json",
      "/docs/static/%2e%2e/%2e%2e/package.json",
      "/docs/static/..%2f..%2fpackage.json",
      "/docs/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json",
      "/docs/static/..%5c..%5cpackage.json",
      "/docs/static/%00",
      "/docs/static/index.css%00.js",
      "/docs/static/%E0%A4%A",
      "/docs/static/%ff",
      "/docs/static/nope.js",
      `/docs/static/${"a".repeat(4_000)}`,
      "/docs/static//etc/passwd",
      "/docs/static/%2fetc%2fpasswd",
      "/docs/%2e%2e/package.json",
      "/docs/nope",
    ];
    for (const target of hostile) {
      const response = await get(target);
      expect(response.status, target).toBeGreaterThanOrEqual(400);
      expect(response.status, target).toBeLessThan(500);
      expect(response.body, target).not.toContain('"name": "docket"');
      expect(response.body, target).not.toContain("root:");
    }
  });

  it("makes no protected route public: a path through /docs still needs the token", async () => {
    for (const target of ["/docs/../v1/jobs", "/docs/%2e%2e/v1/workers"])
      expect((await get(target)).status, target).toBe(401);
    // This one matches the UI's file route (public), which refuses to leave its folder.
    const escape = await get("/docs/static/../../metrics");
    expect(escape.status).toBe(403);
    expect(escape.body).toContain('"code":"forbidden"');
    expect(escape.body).not.toContain("# HELP");
    expect((await get("/v1/workers")).status).toBe(401);
  });
});
