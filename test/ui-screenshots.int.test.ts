/**
 * The README's screenshots of the dashboard (overview, a job's timeline, dead letters), taken of
 * a small realistic run: a worker, jobs that complete, report progress, fail and retry, and dead
 * letters. Run by `npm run screenshots` (DOCKET_SCREENSHOT_DIR=docs/screenshots); in the test
 * suite it writes to test-output/screenshots and checks each page showed what it is for.
 */
import { statSync } from "node:fs";
import type { Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DocketClient } from "../src/client/index.ts";
import { type Dashboard, openPage, screenshot, startDashboard, waitForText } from "./support/browser.ts";
import { waitFor } from "./support/wait.ts";

const TOKEN = "screenshot-token-0123456789";

let dashboard: Dashboard;
let base: string;
let client: DocketClient;
let page: Page;

beforeAll(async () => {
  dashboard = await startDashboard({
    token: TOKEN,
    actor: "ops-alice",
    worker: { concurrency: 4, name: "worker-a", queues: ["default", "emails"] },
  });
  ({ base, client } = dashboard);
  page = (await openPage(dashboard.browser, 1280, 860)).page;
});
afterAll(async () => {
  await dashboard?.stop();
});

const shot = async (name: string): Promise<void> => {
  const path = await screenshot(page, name, { fullPage: false });
  expect(statSync(path).size).toBeGreaterThan(10_000);
};

describe("the README's dashboard screenshots", () => {
  let flaky: string;
  let dead: ReadonlyArray<string>;

  it("come from a run with completed, retried and dead-lettered jobs", async () => {
    const quick = await client.submitMany(
      Array.from({ length: 12 }, (_, n) => ({ type: "sleep", payload: { ms: 100 + n * 40 } })),
    );
    flaky = (
      await client.submit({
        type: "flaky",
        payload: { failures: 1 },
        meta: { customer: "acme" },
        backoff: { type: "fixed", delayMs: 100 },
      })
    ).id;
    dead = await Promise.all(
      ["SMTP relay refused the recipient", "invoice template missing: monthly-v3"].map(
        async (message) =>
          (await client.submit({ type: "fail", queue: "emails", payload: { message, retryable: false } })).id,
      ),
    );
    await client.submit({ type: "sleep", payload: { ms: 30_000 } });
    for (const item of quick) if ("id" in item) await client.wait(item.id, { timeoutMs: 20_000 });
    await client.wait(flaky, { timeoutMs: 20_000 });
    for (const id of dead)
      await waitFor(async () => (await client.get(id)).status === "dead_letter", "dead letter");
  });

  it("overview", async () => {
    await page.goto(`${base}/ui/`);
    await page.type("input[name=token]", TOKEN);
    await page.keyboard.press("Enter");
    await waitForText(page, "[data-testid=workers]", "worker-a");
    await waitForText(page, "[data-testid=count-completed]", "13");
    await waitForText(page, "[data-testid=workers]", "busy");
    // The depth chart draws from its second sample on.
    await page.waitForFunction(() => document.querySelectorAll("figure.chart").length === 2, {
      timeout: 10_000,
    });
    await shot("overview");
  });

  it("a job's timeline", async () => {
    await page.evaluate((hash: string) => {
      location.hash = hash;
    }, `#/jobs/${flaky}`);
    await waitForText(page, "[data-testid=job-status]", "completed");
    await page.click(".verify button");
    await waitForText(page, "[data-testid=verify-outcome]", "Verified");
    await shot("job-timeline");
  });

  it("dead letters", async () => {
    await page.evaluate(() => {
      location.hash = "#/dead-letters";
    });
    await waitForText(page, "[data-testid=dead-letters]", "SMTP relay refused");
    await page.type("input[name=reason]", "relay fixed, resending");
    await shot("dead-letters");
  });
});
