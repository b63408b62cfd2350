/**
 * The CLI's dependency commands against a real API (ADR 0042): `jobs submit --depends-on`,
 * `jobs flow`, `jobs tree`, and a bad policy refused with exit 2.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "./support/api.ts";
import { runDocket } from "./support/cli.ts";
import { apiActor } from "./support/engine.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";

const docket = runDocket;

let redis: TestRedis;
let api: TestApi;
let env: Record<string, string>;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url);
  env = { DOCKET_API_URL: await api.app.listen({ port: 0, host: "127.0.0.1" }) };
});
afterAll(async () => {
  await api.stop();
  await redis.stop();
});

describe("docket jobs: dependencies", () => {
  it("submit --depends-on makes a waiting job; jobs tree shows it with its dependency", async () => {
    const dep = await api.engine.jobs.submit({ type: "echo", queue: "idle" }, apiActor);
    const submitted = await docket(
      ["jobs", "submit", "echo", "--depends-on", `${dep.jobId}:ignore`, "--json"],
      env,
    );
    expect(submitted.status).toBe(0);
    const job = JSON.parse(submitted.stdout);
    expect(job.status).toBe("waiting");
    expect(job.dependencies).toEqual([{ jobId: dep.jobId, onFailure: "ignore", child: false, ended: null }]);
    const tree = await docket(["jobs", "tree", job.id], env);
    expect(tree.status).toBe(0);
    expect(tree.stdout.trim().split("\n")).toEqual([
      `${job.id} echo waiting`,
      `└─ ${dep.jobId} echo queued [on failure ignore]`,
    ]);
  });

  it("jobs flow submits a parent and its children at once and prints the tree", async () => {
    const flow = JSON.stringify({
      job: { type: "echo" },
      children: [{ job: { type: "echo" }, onFailure: "continue" }],
    });
    const out = await docket(["jobs", "flow", flow, "--json"], env);
    expect(out.status).toBe(0);
    const { created, tree } = JSON.parse(out.stdout);
    expect(created).toBe(true);
    expect(tree.dependencies).toHaveLength(1);
    expect(tree.dependencies[0]).toMatchObject({ type: "echo", onFailure: "continue", child: true });
  });

  it("a bad policy or an unknown dependency is refused with exit 2 and the API's code", async () => {
    const bad = await docket(["jobs", "submit", "echo", "--depends-on", "abc:sometimes"], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("dependsOn");
    const unknown = await docket(
      ["jobs", "submit", "echo", "--depends-on", "01a22c93-bc32-77c0-9cfe-62e1f3e8d8a7"],
      env,
    );
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain("dependency_not_found");
  });
});
