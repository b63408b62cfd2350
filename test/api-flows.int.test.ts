/**
 * Dependencies and flows over the real API (ADR 0042): `dependsOn` on submit, `POST /v1/flows`,
 * `GET /v1/jobs/:id/tree`, dependents in `GET /v1/jobs/:id`, the `waiting` status in the list,
 * and the refusals (4xx with stable codes); every answer is checked against the contract.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "./support/api.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

let redis: TestRedis;
let api: TestApi;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url, { shards: 2 });
});
afterAll(async () => {
  await api.stop();
  await redis.stop();
});

const post = (url: string, payload: unknown) =>
  api.app.inject({
    method: "POST",
    url,
    headers: { "content-type": "application/json" },
    payload: JSON.stringify(payload),
  });
const get = (url: string) => api.app.inject({ method: "GET", url });

describe("dependencies over HTTP", () => {
  it("a job submitted with dependsOn is waiting, shows its dependencies, and its dependency lists it as a dependent", async () => {
    const child = (await post("/v1/jobs", { type: "fetch", queue: "nobody" })).json();
    const parent = await post("/v1/jobs", {
      type: "report",
      dependsOn: [{ jobId: child.id, onFailure: "continue" }],
    });
    expect(parent.statusCode).toBe(202);
    expect(parent.json()).toMatchObject({
      status: "waiting",
      dependencies: [{ jobId: child.id, onFailure: "continue", child: false, ended: null }],
    });
    expect((await get(`/v1/jobs/${child.id}`)).json().dependents).toEqual([parent.json().id]);
    await waitFor(
      async () =>
        (await get("/v1/jobs?status=waiting"))
          .json()
          .jobs.some((j: { id: string }) => j.id === parent.json().id),
      "the projection to list the waiting job",
    );
    const explained = (await get(`/v1/jobs/${parent.json().id}/explain`)).json();
    expect(explained.summary).toMatch(/^Waiting for 1 dependency of 1: /);
  });

  it("an unknown dependency is a 422 dependency_not_found; a malformed one a 400", async () => {
    const unknown = await post("/v1/jobs", {
      type: "report",
      dependsOn: ["01a22c93-bc32-77c0-9cfe-62e1f3e8d8a7"],
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.code).toBe("dependency_not_found");
    for (const dependsOn of [
      [],
      ["not an id!"],
      [{ jobId: "x", onFailure: "sometimes" }],
      "x",
      Array(101).fill("a"),
    ]) {
      const bad = await post("/v1/jobs", { type: "report", dependsOn });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBe("invalid_job_spec");
    }
  });

  it("a flow is answered as a tree (202), readable again with GET /v1/jobs/:id/tree", async () => {
    const res = await post("/v1/flows", {
      job: { type: "report" },
      children: [
        { job: { type: "fetch", payload: { page: 1 } } },
        { job: { type: "fetch" }, onFailure: "ignore" },
      ],
    });
    expect(res.statusCode).toBe(202);
    const { created, tree } = res.json();
    expect(created).toBe(true);
    expect(tree).toMatchObject({
      type: "report",
      status: "waiting",
      dependencies: [
        { type: "fetch", status: "queued", onFailure: "fail", child: true, ended: null, dependencies: [] },
        { type: "fetch", status: "queued", onFailure: "ignore", child: true, ended: null, dependencies: [] },
      ],
    });
    expect((await get(`/v1/jobs/${tree.id}/tree`)).json()).toEqual(tree);
    expect((await get(`/v1/jobs/${tree.dependencies[0].id}`)).json().dependents).toEqual([tree.id]);
  });

  it("hostile flows are refused with 4xx, never 5xx", async () => {
    let deep: Record<string, unknown> = { job: { type: "leaf" } };
    for (let i = 0; i < 60; i++) deep = { job: { type: "node" }, children: [deep] };
    const bodies: ReadonlyArray<unknown> = [
      {},
      { job: { type: "report" } },
      { job: { type: "report" }, children: [] },
      { job: { type: "report" }, children: [{ job: { type: "x", idempotencyKey: "k" } }] },
      { job: { type: "report" }, children: [{ job: { type: "x" }, extra: 1 }] },
      { job: { type: "report" }, children: Array.from({ length: 150 }, () => ({ job: { type: "x" } })) },
      deep,
      [],
      "flow",
    ];
    for (const body of bodies) {
      const res = await post("/v1/flows", body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
    }
  });

  it("an unknown job's tree is a 404", async () => {
    const res = await get("/v1/jobs/01a22c93-bc32-77c0-9cfe-62e1f3e8d8a7/tree");
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("job_not_found");
  });
});
