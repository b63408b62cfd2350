/**
 * Headless Chromium for the dashboard's browser tests: Debian's `chromium` (installed by .ci/run
 * when missing; CHROMIUM_PATH to use another), driven by puppeteer-core — no browser download.
 * A page is watched for what a successful XSS would do: a dialog, or a `__pwned` flag set.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { demoHandlers } from "../../src/cli/demo-handlers.ts";
import { DocketClient } from "../../src/client/index.ts";
import { startApi, type TestApi } from "./api.ts";
import { startRedis, type TestRedis } from "./redis.ts";
import { startWorker } from "./workers.ts";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Where tests save their screenshots: test-output/screenshots (gitignored), or
 * DOCKET_SCREENSHOT_DIR — `npm run screenshots` sets docs/screenshots, the README's.
 */
export const SCREENSHOT_DIR =
  process.env.DOCKET_SCREENSHOT_DIR ?? join(import.meta.dirname, "..", "..", "test-output", "screenshots");

export const launchBrowser = (): Promise<Browser> =>
  puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Containers run as root without user namespaces; /dev/shm is small there.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });

export interface WatchedPage {
  readonly page: Page;
  /** Messages of every dialog (alert, confirm, prompt) the page opened; each was dismissed. */
  readonly dialogs: Array<string>;
  /** Uncaught errors and CSP violations the page reported. */
  readonly errors: Array<string>;
}

export const openPage = async (browser: Browser, width = 1280, height = 900): Promise<WatchedPage> => {
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  const dialogs: Array<string> = [];
  const errors: Array<string> = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  return { page, dialogs, errors };
};

export const screenshot = async (
  page: Page,
  name: string,
  options: { readonly dir?: string; readonly fullPage?: boolean } = {},
): Promise<string> => {
  const dir = options.dir ?? SCREENSHOT_DIR;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`) as `${string}.png`;
  await page.screenshot({ path, fullPage: options.fullPage ?? true });
  return path;
};

/** Waits until `text` is in the element `selector` matches (the page updates by itself). */
export const waitForText = (page: Page, selector: string, text: string, timeout = 15_000): Promise<unknown> =>
  page.waitForFunction(
    (sel: string, wanted: string) => document.querySelector(sel)?.textContent?.includes(wanted) === true,
    { timeout, polling: 50 },
    selector,
    text,
  );

/**
 * Everything a dashboard test drives: a real Redis, the API listening with one token, a worker
 * with the demo handlers, a typed client, and headless Chromium. `stop` ends them all.
 */
export interface Dashboard {
  readonly api: TestApi;
  readonly base: string;
  readonly client: DocketClient;
  readonly browser: Browser;
  /** The Redis under it (another API may be started on it). */
  readonly redisUrl: string;
  stop(): Promise<void>;
}

export const startDashboard = async (options: {
  readonly token: string;
  readonly worker: Parameters<typeof startWorker>[2];
  readonly actor?: string;
}): Promise<Dashboard> => {
  const redis: TestRedis = await startRedis();
  const api = await startApi(redis.url, { token: options.token });
  const base = await api.app.listen({ port: 0, host: "127.0.0.1" });
  const client = new DocketClient({
    baseUrl: base,
    token: options.token,
    ...(options.actor === undefined ? {} : { actor: options.actor }),
  });
  const { worker } = await startWorker(api.engine, demoHandlers, options.worker);
  const browser = await launchBrowser();
  return {
    api,
    base,
    client,
    browser,
    redisUrl: redis.url,
    stop: async () => {
      await browser.close();
      await worker.stop(100);
      await api.stop();
      await redis.stop();
    },
  };
};
