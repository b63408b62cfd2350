/**
 * Webhook delivery survives a killed `docket api` (ADR 0038), with real processes: the API is
 * SIGKILLed while a delivery is in flight (the receiver holds the request), and an event is
 * recorded while no API runs. A new `docket api` on the same Redis delivers both: the in-flight
 * one again under the same `Docket-Delivery` id once its lease ends (at least once), the other
 * from the deliverer's cursor (nothing lost).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocketClient } from "../src/client/index.ts";
import { killLeftovers, spawnDocket } from "./support/docket.ts";
import { apiActor, makeEngine } from "./support/engine.ts";
import { freePort, startRedis, type TestRedis, uniquePrefix } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

interface Hit {
  readonly delivery: string;
  readonly type: string;
  readonly at: number;
}

let redis: TestRedis;
const dirs: Array<string> = [];
const held: Array<ServerResponse> = [];
const hits: Array<Hit> = [];
let hold = true;
const receiver = createServer((request, response) => {
  const chunks: Array<Buffer> = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const type = String(JSON.parse(Buffer.concat(chunks).toString("utf8")).type);
    hits.push({ delivery: String(request.headers["docket-delivery"]), type, at: Date.now() });
    // The first delivery is held open: the API that sent it is killed meanwhile.
    if (hold) {
      hold = false;
      held.push(response);
      return;
    }
    response.writeHead(200).end();
  });
});

beforeAll(async () => {
  redis = await startRedis();
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  killLeftovers();
  for (const response of held) response.destroy();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await redis?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const startApiProcess = async (prefix: string) => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "docket-webhooks-kill-"));
  dirs.push(dir);
  const api = spawnDocket(["api"], {
    env: {
      REDIS_URL: redis.url,
      PORT: String(port),
      DOCKET_DB: join(dir, "docket.sqlite"),
      DOCKET_PREFIX: prefix,
      DOCKET_ARCHIVER: "off",
      DOCKET_WEBHOOK_ALLOW_PRIVATE: "1",
      DOCKET_WEBHOOK_TIMEOUT_MS: "1000",
    },
  });
  await api.waitForOutput(`API listening on http://127.0.0.1:${port}`, "the API listening");
  return { api, client: new DocketClient({ baseUrl: `http://127.0.0.1:${port}` }) };
};

describe("a killed docket api", () => {
  it("loses no webhook delivery: the in-flight one is sent again under its id, the one recorded while down is sent", async () => {
    const prefix = uniquePrefix();
    const first = await startApiProcess(prefix);
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await first.client.webhooks.create({ url, events: ["JobSubmitted"], secret: "kill-test-secret-0123" });
    await first.client.submit({ type: "kill.one", queue: "nobody" });
    await waitFor(() => held.length === 1, "the first delivery in flight");
    const inFlight = hits[0]?.delivery;
    first.api.child.kill("SIGKILL");
    await first.api.exited;

    // While no API runs, another job is submitted (straight to Redis, as a library user would).
    const engine = await makeEngine(redis.url, { prefix });
    await engine.jobs.submit({ type: "kill.two", queue: "nobody" }, apiActor);
    await engine.close();

    const second = await startApiProcess(prefix);
    await waitFor(
      () => hits.filter((h) => h.delivery === inFlight).length === 2,
      "the in-flight delivery again",
      30_000,
    );
    await waitFor(
      () => hits.some((h) => h.type === "JobSubmitted" && h.delivery !== inFlight),
      "the other",
      30_000,
    );
    const delivered = await waitFor(async () => {
      const found = await second.client.webhooks.deliveries({ status: "delivered" });
      return found.length === 2 && found;
    }, "both recorded as delivered");
    expect(new Set(delivered.map((d) => d.id))).toEqual(new Set(hits.map((h) => h.delivery)));
    second.api.child.kill("SIGTERM");
    await second.api.exited;
  });
});
