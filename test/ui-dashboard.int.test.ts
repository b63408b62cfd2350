/**
 * The dashboard in a real browser (headless Chromium, test/support/browser.ts) against the real
 * API on a real Redis and SQLite, with a token: the page and its CSP, signing in, jobs reaching
 * `completed` in the list without a reload, a job's timeline, Verify and time travel, collapsed
 * large values, a cancel and a dead-letter retry with reasons recorded under the token's name, a
 * worker appearing and disappearing, hostile values (payload, meta, error, reason) shown as text
 * and never run, a 390 px screen and the keyboard; a flow's dependencies and tree, and a job's
 * durable steps, sleeps and signals; and an API without tokens (no login form).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoHandlers } from "../src/cli/demo-handlers.ts";
import { DocketApiError, type DocketClient } from "../src/client/index.ts";
import type { Handlers } from "../src/engine/worker/index.ts";
import { MAX_TREE_DEPTH } from "../src/engine/write/job-tree.ts";
import { startApi, type TestApi } from "./support/api.ts";
import {
  type Dashboard,
  openPage,
  screenshot,
  startDashboard,
  waitForText,
  type WatchedPage,
} from "./support/browser.ts";
import { rawRequest } from "./support/raw-http.ts";
import { TEST_UI_DIR } from "./support/ui-build.ts";
import { waitFor } from "./support/wait.ts";
import { startWorker } from "./support/workers.ts";

const TOKEN = "ui-test-token-0123456789";
/** What the dashboard must show as text and never run. */
const HOSTILE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1;alert(1)">`;
const ASSET_BUDGET_BYTES = 150 * 1024;

let dashboard: Dashboard;
let api: TestApi;
let base: string;
let client: DocketClient;
let watched: WatchedPage;
let page: Page;

beforeAll(async () => {
  dashboard = await startDashboard({ token: TOKEN, worker: { concurrency: 4, name: "ui-main-worker" } });
  ({ api, base, client } = dashboard);
  watched = await openPage(dashboard.browser);
  page = watched.page;
});
afterAll(async () => {
  await dashboard?.stop();
});

const pwned = (): Promise<unknown> => page.evaluate(() => (window as { __pwned?: unknown }).__pwned);

const go = async (hash: string): Promise<void> => {
  await page.evaluate((h: string) => {
    location.hash = h;
  }, hash);
};

describe("the dashboard's files", () => {
  it("are served without a token under a CSP that forbids inline script; / redirects to /ui/", async () => {
    const port = Number(new URL(base).port);
    const html = await rawRequest(port, { method: "GET", target: "/ui/" });
    expect(html.status).toBe(200);
    const csp = String(html.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    // Every script the page names is a file; none is inline.
    expect(html.body).toMatch(/<script type="module" src="app.js"><\/script>/);
    expect(html.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect((await rawRequest(port, { method: "GET", target: "/ui/app.js" })).status).toBe(200);
    const root = await rawRequest(port, { method: "GET", target: "/" });
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe("/ui/");
    // The data is not public: the API still wants the token.
    expect((await rawRequest(port, { method: "GET", target: "/v1/jobs" })).status).toBe(401);
    // /docs keeps its own policy (Swagger UI's), not the dashboard's.
    const docs = await rawRequest(port, { method: "GET", target: "/docs/static/index.html" });
    expect(docs.headers["content-security-policy"]).not.toBe(csp);
  });

  it("weigh at most 150 KB gzipped in all", () => {
    const sizes = readdirSync(TEST_UI_DIR).map((file) => ({
      file,
      gzipped: gzipSync(readFileSync(join(TEST_UI_DIR, file)), { level: 9 }).length,
    }));
    const total = sizes.reduce((sum, { gzipped }) => sum + gzipped, 0);
    console.log(`dashboard assets gzipped: ${total} B`, sizes);
    expect(sizes.map(({ file }) => file)).toContain("app.js");
    expect(total).toBeLessThanOrEqual(ASSET_BUDGET_BYTES);
  });
});

describe("the dashboard against an API without tokens", () => {
  it("opens without a login form and offers no sign-out", async () => {
    const open = await startApi(dashboard.redisUrl);
    try {
      const address = await open.app.listen({ port: 0, host: "127.0.0.1" });
      const { page: tab } = await openPage(dashboard.browser);
      await tab.goto(`${address}/ui/`);
      await tab.waitForSelector("header.top nav");
      expect(await tab.$("input[name=token]")).toBeNull();
      expect(await tab.$("header.top button")).toBeNull();
      await waitForText(tab, "[data-testid=live-state]", "live");
      await tab.close();
    } finally {
      await open.stop();
    }
  });
});

describe("the dashboard in a browser", () => {
  it("asks for the token, refuses a wrong one, and keeps the right one in sessionStorage only", async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector("input[name=token]");
    await page.type("input[name=token]", "not-the-token");
    await page.click("button[type=submit]");
    await waitForText(page, ".login [role=alert]", "refused");
    await page.$eval("input[name=token]", (input) => {
      (input as HTMLInputElement).value = "";
    });
    await page.type("input[name=token]", TOKEN);
    await page.keyboard.press("Enter");
    await page.waitForSelector("header.top nav");
    expect(await page.evaluate(() => sessionStorage.getItem("docket.token"))).toBe(TOKEN);
    expect(page.url()).not.toContain(TOKEN);
    expect(await page.evaluate(() => document.cookie)).toBe("");
    await waitForText(page, "[data-testid=live-state]", "live");
    await waitForText(page, "[data-testid=workers]", "ui-main-worker");
    await screenshot(page, "overview");
  });

  it("shows submitted jobs reaching completed in the list without a reload", async () => {
    await go("#/jobs");
    await page.waitForSelector("[data-testid=jobs]");
    await page.evaluate(() => {
      (window as { __sameDocument?: boolean }).__sameDocument = true;
    });
    const jobs = await Promise.all(
      [1, 2, 3].map((n) =>
        client.submit({ type: "sleep", payload: { ms: 300 + n * 100 }, queue: "default" }),
      ),
    );
    for (const job of jobs)
      await page.waitForSelector(`tr[data-job="${job.id}"][data-status="completed"]`, { timeout: 20_000 });
    expect(await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await screenshot(page, "jobs");
  });

  it("opens a job: timeline with actor and hash, Verify says the chain holds, the slider travels in time", async () => {
    // Large values (a long string, a long list) start collapsed; small ones are shown.
    const long = "x".repeat(5_000);
    const list = Array.from({ length: 50 }, (_, n) => n);
    const job = await client.submit({ type: "sleep", payload: { ms: 200, long, list } });
    await client.wait(job.id, { timeoutMs: 15_000 });
    await go("#/jobs");
    await page.waitForSelector(`a[href="#/jobs/${job.id}"]`);
    await page.click(`a[href="#/jobs/${job.id}"]`);
    await waitForText(page, "[data-testid=job-status]", "completed");
    const events = await client.events(job.id);
    const timeline = await page.$$eval("[data-testid=timeline] li", (items) =>
      items.map((item) => item.textContent ?? ""),
    );
    expect(timeline.length).toBe((await client.explain(job.id)).sentences.length);
    expect(timeline.join("\n")).toContain("worker:");
    expect(timeline.join("\n")).toContain("client:default");
    expect(timeline.join("\n")).toContain(events[0]?.hash.slice(0, 12));

    const folds = await page.$$eval("details.fold", (all) =>
      all.map((fold) => ({
        open: (fold as HTMLDetailsElement).open,
        summary: fold.querySelector("summary")?.textContent,
      })),
    );
    expect(folds).toContainEqual({ open: false, summary: expect.stringContaining("5000 characters") });
    expect(folds).toContainEqual({ open: false, summary: "[ 50 items ]" });
    expect(await page.$$eval("pre.json", (all) => all.map((pre) => pre.textContent).join())).toContain(
      '"ms": 200',
    );

    await page.click(".verify button");
    await waitForText(page, "[data-testid=verify-outcome]", "Verified");

    // Keyboard: the slider moves to the first event (Home) and shows the job as it was then.
    await page.focus(".time-travel input[type=range]");
    await page.keyboard.press("Home");
    await waitForText(page, "[data-testid=time-travel-state]", "JobSubmitted");
    const early = await page.$eval("[data-testid=time-travel-state]", (el) => el.textContent ?? "");
    expect(early).not.toContain("completed");
    await page.keyboard.press("End");
    await waitForText(page, "[data-testid=time-travel-state]", "completed");
    await screenshot(page, "job-timeline");
  });

  it("retries a dead letter with a reason, and the retry shows in its history", async () => {
    const job = await client.submit({
      type: "fail",
      payload: { message: "boom for the dashboard", retryable: false },
    });
    await waitFor(async () => (await client.get(job.id)).status === "dead_letter", "the job to dead-letter");
    await go("#/dead-letters");
    await page.waitForSelector(`[data-testid=dead-letters] tr[data-job="${job.id}"]`);
    await waitForText(page, `[data-testid=dead-letters] tr[data-job="${job.id}"]`, "boom for the dashboard");
    await screenshot(page, "dead-letters");
    await page.type("input[name=reason]", "fixed the config, trying again");
    await page.click(`[data-testid=dead-letters] tr[data-job="${job.id}"] button`);
    await waitForText(page, "[role=status]", `Retried ${job.id}`);
    const history = await client.events(job.id);
    const retried = history.find((event) => event.type === "JobRetried");
    expect(retried?.actor.id).toBe("default");
    expect(JSON.stringify(retried?.data)).toContain("fixed the config, trying again");
    await go(`#/jobs/${encodeURIComponent(job.id)}`);
    await waitForText(
      page,
      "[data-testid=timeline] [data-kind=manual_retry]",
      "fixed the config, trying again",
    );
  });

  it("cancels a job with a reason, recorded with the signed-in token's name", async () => {
    const job = await client.submit({ type: "echo", queue: "nobody-reads-this" });
    await go(`#/jobs/${job.id}`);
    await waitForText(page, "[data-testid=job-status]", "queued");
    await page.type(".actions-box input[name=reason]", "customer withdrew the order");
    await page.click(".actions-box button.danger");
    await waitForText(page, "[data-testid=job-status]", "cancelled");
    const cancelled = (await client.events(job.id)).find((event) => event.type === "JobCancelled");
    expect(cancelled?.actor).toMatchObject({ kind: "client", id: "default" });
    expect(JSON.stringify(cancelled?.data)).toContain("customer withdrew the order");
    // An ended job offers no cancel any more.
    expect(await page.$(".actions-box button.danger")).toBeNull();
  });

  it("shows a worker appear and disappear", async () => {
    await go("#/");
    await page.waitForSelector("[data-testid=workers]");
    const extra = await startWorker(api.engine, demoHandlers, {
      name: "ui-visiting-worker",
      queues: ["visits"],
    });
    await waitForText(page, "[data-testid=workers]", "ui-visiting-worker");
    await extra.worker.stop(100);
    await extra.done;
    await page.waitForFunction(
      () =>
        !(document.querySelector("[data-testid=workers]")?.textContent ?? "").includes("ui-visiting-worker"),
      { timeout: 20_000, polling: 100 },
    );
  });

  it("shows hostile payload, meta, error and reason as text and runs none of it", async () => {
    await expect(client.submit({ type: HOSTILE, payload: {} })).rejects.toBeInstanceOf(DocketApiError);
    const failing = await client.submit({
      type: "fail",
      payload: { message: HOSTILE, retryable: false, note: HOSTILE },
      meta: { note: HOSTILE },
    });
    const cancelled = await client.submit({
      type: "echo",
      queue: "nobody-reads",
      payload: { html: HOSTILE },
    });
    await client.cancel(cancelled.id, HOSTILE);
    await waitFor(
      async () => (await client.get(failing.id)).status === "dead_letter",
      "the hostile job to dead-letter",
    );
    for (const hash of ["#/jobs", "#/dead-letters", `#/jobs/${failing.id}`, `#/jobs/${cancelled.id}`]) {
      await go(hash);
      await waitForText(page, "main", HOSTILE.slice(0, 20));
    }
    await waitForText(page, "[data-testid=timeline]", HOSTILE);
    await go(`#/jobs/${failing.id}`);
    await waitForText(page, "[data-testid=job-error]", HOSTILE);
    expect(await page.$$eval("main img", (images) => images.length)).toBe(0);
    expect(await page.$$eval("main script", (scripts) => scripts.length)).toBe(0);
    expect(await pwned()).toBeUndefined();
    expect(watched.dialogs).toEqual([]);
  });

  it("fits a 390 px wide screen without sideways scrolling, and is keyboard navigable", async () => {
    await page.setViewport({ width: 390, height: 844 });
    for (const [hash, title] of [
      ["#/", "Overview"],
      ["#/jobs", "Jobs"],
      ["#/dead-letters", "Dead letters"],
    ] as const) {
      await go(hash);
      await waitForText(page, "main section h1", title);
      await page.waitForSelector("main tbody tr:not(:has(td[colspan]))");
      await screenshot(page, `narrow-${title.toLowerCase().replace(" ", "-")}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      // Name what sticks out, so a failure says where to look.
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll("body *")]
          .filter(
            (el) =>
              el.getBoundingClientRect().right > window.innerWidth + 0.5 &&
              (el.parentElement?.getBoundingClientRect().right ?? 0) <= window.innerWidth + 0.5,
          )
          .map((el) => `${el.tagName.toLowerCase()}.${el.className}`)
          .slice(0, 5),
      );
      expect(overflow, `${hash}: ${wide.join(", ")}`).toBeLessThanOrEqual(0);
    }
    // After a reload (still signed in: the tab's sessionStorage), Tab from the top reaches the
    // nav's links; Enter follows one.
    await go("#/");
    await page.reload();
    await page.waitForSelector("header.top nav");
    let reached = "";
    for (let i = 0; i < 6 && reached !== "Dead letters"; i++) {
      await page.keyboard.press("Tab");
      reached = await page.evaluate(() => document.activeElement?.textContent ?? "");
    }
    expect(reached).toBe("Dead letters");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => location.hash === "#/dead-letters");
    await page.setViewport({ width: 1280, height: 900 });
    expect(watched.errors.filter((error) => /Content.Security.Policy/i.test(error))).toEqual([]);
  });
});

describe("flows and durable steps in the dashboard", () => {
  /** The job page's row for `id` in the dependencies table. */
  const dependencyRow = (id: string): string => `[data-testid=dependencies] tr[data-job="${id}"]`;

  it("shows a flow's children, their policies, links and tree, updated live as they end", async () => {
    // The children wait on a queue no worker reads yet, so the parent is seen waiting first.
    const flow = await client.submitFlow({
      job: { type: "echo", payload: { flow: "parent" } },
      children: [
        { job: { type: "echo", queue: "flow-kids", payload: { n: 1 } }, onFailure: "ignore" },
        {
          job: { type: "echo", queue: "flow-kids", payload: { n: 2 } },
          children: [{ job: { type: "echo", queue: "flow-kids", payload: { n: 3 } } }],
        },
      ],
    });
    const parent = flow.tree.id;
    const [first, second] = flow.tree.dependencies.map((node) => node.id);
    const grandchild = flow.tree.dependencies[1]?.dependencies[0]?.id;
    if (first === undefined || second === undefined || grandchild === undefined)
      throw new Error(`unexpected flow tree ${JSON.stringify(flow.tree)}`);

    // The list's status filter offers the flow states, and finds the waiting parent.
    await go("#/jobs?status=waiting");
    const statuses = await page.$$eval("select[name=status] option", (options) =>
      options.map((option) => (option as HTMLOptionElement).value),
    );
    expect(statuses).toEqual(expect.arrayContaining(["waiting", "suspended"]));
    await page.waitForSelector(`[data-testid=jobs] tr[data-job="${parent}"][data-status="waiting"]`);

    await go(`#/jobs/${parent}`);
    await waitForText(page, "[data-testid=job-status]", "waiting");
    await page.waitForSelector(`${dependencyRow(first)}[data-status="queued"]`);
    await page.waitForSelector(`${dependencyRow(second)}[data-status="waiting"]`);
    const rows = await page.$$eval("[data-testid=dependencies] tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
    );
    expect(rows).toEqual([
      [first, "queued", "echo", "ignore", "yes", "not yet"],
      [second, "waiting", "echo", "fail", "yes", "not yet"],
    ]);
    for (const id of [first, second])
      expect(await page.$(`${dependencyRow(id)} a[href="#/jobs/${id}"]`)).not.toBeNull();
    // The tree: the parent, its two children, and the second child's own child under it.
    await page.waitForSelector(
      `[data-testid=flow-tree] li[data-job="${second}"] > ul > li[data-job="${grandchild}"][data-status="queued"]`,
    );
    expect(await page.$$eval("[data-testid=flow-tree] li[data-job]", (items) => items.length)).toBe(4);
    await screenshot(page, "flow-parent-waiting");

    // Now the children run; the page follows without a reload.
    await page.evaluate(() => {
      (window as { __sameDocument?: boolean }).__sameDocument = true;
    });
    const kids = await startWorker(api.engine, demoHandlers, { name: "ui-flow-kids", queues: ["flow-kids"] });
    try {
      await waitForText(page, "[data-testid=job-status]", "completed", 20_000);
      for (const id of [first, second])
        await page.waitForSelector(`${dependencyRow(id)}[data-status="completed"][data-ended="completed"]`);
      await page.waitForSelector(
        `[data-testid=flow-tree] li[data-job="${grandchild}"][data-status="completed"]`,
      );
      expect(await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    } finally {
      await kids.worker.stop(100);
      await kids.done;
    }
    await screenshot(page, "flow-parent-completed");
    // At 390 px the panels fit without sideways scrolling (their tables scroll in their box).
    await page.setViewport({ width: 390, height: 844 });
    try {
      await screenshot(page, "narrow-flow-parent");
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      ).toBeLessThanOrEqual(0);
    } finally {
      await page.setViewport({ width: 1280, height: 900 });
    }

    // A child's page names the parent as the job that waits for it, and lists its own child.
    await page.click(`${dependencyRow(second)} a[href="#/jobs/${second}"]`);
    await page.waitForFunction((id: string) => location.hash === `#/jobs/${id}`, {}, second);
    await page.waitForSelector(`[data-testid=dependents] a[href="#/jobs/${parent}"]`);
    await page.waitForSelector(`${dependencyRow(grandchild)}[data-ended="completed"]`);
    await waitForText(page, "[data-testid=job-status]", "completed");
  });

  it("offers Cancel for a job dead-lettered by its dependency's failure (it could still be released), not for one whose own attempts ran out", async () => {
    const failing = await client.submit({
      type: "fail",
      payload: { message: "dependency broke", retryable: false },
    });
    const waiting = await client.submit({ type: "echo", dependsOn: [failing.id] });
    await waitFor(
      async () => (await client.get(waiting.id)).status === "dead_letter",
      "the policy dead letter",
    );
    await go(`#/jobs/${encodeURIComponent(failing.id)}`);
    await waitForText(page, "[data-testid=job-status]", "dead_letter");
    expect(await page.$(".actions-box button.danger")).toBeNull();
    await go(`#/jobs/${encodeURIComponent(waiting.id)}`);
    await waitForText(page, "[data-testid=job-status]", "dead_letter");
    await page.type(".actions-box input[name=reason]", "not needed any more");
    await page.click(".actions-box button.danger");
    await waitForText(page, "[data-testid=job-status]", "cancelled");
    const cancelled = (await client.events(waiting.id)).at(-1);
    expect(cancelled).toMatchObject({ type: "JobCancelled", data: { reason: "not needed any more" } });
  });

  it("says where the API cut a tree too deep to show", async () => {
    // A chain one job deeper than the tree goes: each job depends on the one before.
    let below = (await client.submit({ type: "echo", queue: "nobody-reads-chains" })).id;
    for (let n = 0; n <= MAX_TREE_DEPTH; n++)
      below = (await client.submit({ type: "echo", queue: "nobody-reads-chains", dependsOn: [below] })).id;
    await go(`#/jobs/${below}`);
    await page.waitForSelector("[data-testid=flow-tree] [data-testid=tree-cut]");
    // The job and the MAX_TREE_DEPTH levels below it; the last of them says it has more.
    expect(await page.$$eval("[data-testid=flow-tree] li[data-job]", (items) => items.length)).toBe(
      MAX_TREE_DEPTH + 1,
    );
    expect(await page.$$eval("[data-testid=tree-cut]", (items) => items.length)).toBe(1);
  });

  it("shows the steps, sleeps and signals a handler recorded, hostile values as text", async () => {
    const handlers: Handlers = {
      "steps-demo": async (_payload, ctx) => {
        const order = await ctx.step("fetch-order", () => ({ order: 42, note: HOSTILE }));
        await ctx.step("charge-card", () => ({ charged: order.order }), { index: 0 });
        // Fails in the first attempt only (its error is evidence; the next attempt runs it again).
        const attempt = ctx.attempt;
        await ctx
          .step("notify", () => {
            if (attempt === 1) throw new Error(HOSTILE);
            return "sent";
          })
          .catch(() => undefined);
        await ctx.sleep("cool-down", 300);
        const approval = await ctx.waitFor("approve", { timeoutMs: 60_000 });
        return { approval };
      },
    };
    const stepper = await startWorker(api.engine, handlers, { name: "ui-steps-worker", queues: ["steps"] });
    try {
      const job = await client.submit({ type: "steps-demo", queue: "steps", payload: {} });
      await go(`#/jobs/${job.id}`);
      await page.waitForSelector('[data-testid=steps] tr[data-step="fetch-order"][data-outcome="completed"]');
      await page.waitForSelector('[data-testid=steps] tr[data-step="charge-card"][data-outcome="completed"]');
      await page.waitForSelector('[data-testid=suspensions] tr[data-name="cool-down"][data-kind="sleep"]');
      // After the sleep the job runs again, and then waits for the signal.
      await page.waitForSelector('[data-testid=suspensions] tr[data-name="approve"][data-kind="signal"]', {
        timeout: 20_000,
      });
      await waitForText(page, "[data-testid=job-status]", "suspended");
      await client.signal(job.id, "approve", { by: HOSTILE });
      await waitForText(page, "[data-testid=job-status]", "completed", 20_000);
      await page.waitForSelector('[data-testid=signals] tr[data-signal="approve"]');

      const cells = (selector: string): Promise<Array<Array<string>>> =>
        page.$$eval(`${selector} tbody tr`, (trs) =>
          trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
        );
      const steps = await cells("[data-testid=steps]");
      // Name, outcome and attempt of each recorded outcome, in the order recorded; the recorded
      // steps were not run again in the later attempts.
      expect(steps.map(([name, outcome, attempt]) => [name, outcome, attempt])).toEqual([
        ["fetch-order", "completed", "1"],
        ["charge-card [0]", "completed", "1"],
        ["notify", "failed", "1"],
        ["notify", "completed", "2"],
      ]);
      // Results and payloads in the JSON view (as JSON text), an error as it was thrown.
      expect(steps[0]?.[4]).toContain(JSON.stringify(HOSTILE));
      expect(steps[2]?.[4]).toContain(HOSTILE);
      const suspensions = await cells("[data-testid=suspensions]");
      expect(suspensions.map(([name, kind, attempt]) => [name, kind, attempt])).toEqual([
        ["cool-down", "sleep", "1"],
        ["approve", "wait for signal", "2"],
      ]);
      expect(suspensions[0]?.[5]).toContain("sleep elapsed");
      expect(suspensions[1]?.[5]).toContain("signal received");
      const signals = await cells("[data-testid=signals]");
      expect(signals[0]?.[0]).toBe("approve");
      expect(signals[0]?.[2]).toContain(JSON.stringify(HOSTILE));
      await screenshot(page, "job-steps");
      await page.setViewport({ width: 390, height: 844 });
      try {
        await screenshot(page, "narrow-job-steps");
        expect(
          await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
        ).toBeLessThanOrEqual(0);
      } finally {
        await page.setViewport({ width: 1280, height: 900 });
      }

      expect(await page.$$eval("main img", (images) => images.length)).toBe(0);
      expect(await page.$$eval("main script", (scripts) => scripts.length)).toBe(0);
      expect(await pwned()).toBeUndefined();
      expect(watched.dialogs).toEqual([]);
    } finally {
      await stepper.worker.stop(100);
      await stepper.done;
    }
  });
});
