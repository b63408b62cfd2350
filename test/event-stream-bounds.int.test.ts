/**
 * Server-Sent Events are bounded (ADR 0019), tested with real sockets: a client that stops
 * reading is dropped once its backlog passes the buffer limit (with a final `event: dropped`
 * saying why), while a client that reads keeps every event; and one stream more than the
 * most allowed is refused with a JSON 503 `event_streams_full`.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "./support/api.ts";
import { rawRequest } from "./support/raw-http.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { waitFor } from "./support/wait.ts";

const BUFFER_LIMIT = 256 * 1024;

let redis: TestRedis;
let api: TestApi;
let address: string;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi(redis.url, { limits: { sseMaxClients: 3, sseMaxBufferBytes: BUFFER_LIMIT } });
  address = await api.app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  await api?.stop();
  await redis?.stop();
});

/** A raw client on its own socket: it reads what it is told to, and can stop reading. */
const rawClient = (path: string) => {
  const { port } = new URL(address);
  const socket: Socket = connect(Number(port), "127.0.0.1");
  const state = { text: "", closed: false };
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    state.text += chunk;
  });
  socket.on("close", () => {
    state.closed = true;
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  return { socket, state };
};

const streams = async () =>
  (await api.app.inject({ method: "GET", url: "/v1/metrics" })).json<{
    eventStreams: { clients: number; dropped: number; refused: number };
  }>().eventStreams;

/** Jobs with a payload of about `kib` KiB, so a few of them outgrow any socket buffer. */
const flood = async (jobs: number, kib: number): Promise<ReadonlyArray<string>> => {
  const payload = { blob: "x".repeat(kib * 1024) };
  const ids: Array<string> = [];
  for (let i = 0; i < jobs; i++) {
    const response = await api.app.inject({
      method: "POST",
      url: "/v1/jobs",
      payload: { type: "big", payload },
    });
    expect(response.statusCode).toBe(202);
    ids.push(response.json<{ id: string }>().id);
  }
  return ids;
};

describe("GET /v1/events bounds", () => {
  it("HEAD answers at once with a JSON 404 instead of holding a stream open with no headers", async () => {
    const { port } = new URL(address);
    const response = await rawRequest(Number(port), { method: "HEAD", target: "/v1/events" });
    expect(response.status).toBe(404);
  });

  it("drops a client that stops reading, with a final event saying why, and keeps a reading one", async () => {
    const reader = rawClient("/v1/events?type=JobSubmitted");
    const paused = rawClient("/v1/events");
    await waitFor(
      () => reader.state.text.includes(": connected") && paused.state.text.includes(": connected"),
      "both streams to open",
    );
    paused.socket.pause(); // from now on it reads nothing: the kernel's buffers, then ours, fill up
    expect((await streams()).clients).toBe(2);

    // Until the server drops it: every job's JobSubmitted (with its payload) goes to both.
    const ids: Array<string> = [];
    await waitFor(
      async () => {
        ids.push(...(await flood(8, 200)));
        return (await streams()).dropped >= 1;
      },
      "the paused client to be dropped",
      60_000,
    );
    const after = await streams();
    expect(after).toMatchObject({ clients: 1, dropped: 1 });

    // Once it reads again, it finds the reason at the end of what was waiting, then the end.
    paused.socket.resume();
    await waitFor(() => paused.state.closed, "the dropped stream to end");
    expect(paused.state.text).toContain("event: dropped");
    expect(paused.state.text).toContain('"reason":"slow_client"');

    // The reading client was never dropped and got every job's event, including one sent later.
    const [last] = await flood(1, 1);
    await waitFor(
      () => [...ids, last].every((id) => reader.state.text.includes(`"jobId":"${id}"`)),
      "the reading client to receive every job",
      30_000,
    );
    expect(reader.state.closed).toBe(false);
    reader.socket.destroy();
    await waitFor(async () => (await streams()).clients === 0, "the reader's stream to close");
  });

  it("refuses one stream more than the most allowed with a JSON 503, and accepts again once one closes", async () => {
    const open = [rawClient("/v1/events"), rawClient("/v1/events"), rawClient("/v1/events")];
    await waitFor(() => open.every((c) => c.state.text.includes(": connected")), "three streams to open");
    const refused = await fetch(`${address}/v1/events`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toMatchObject({ error: { code: "event_streams_full", limit: 3 } });
    expect((await streams()).refused).toBeGreaterThanOrEqual(1);
    open[0]?.socket.destroy();
    await waitFor(async () => (await streams()).clients === 2, "one stream to close");
    const again = rawClient("/v1/events");
    await waitFor(() => again.state.text.includes(": connected"), "a new stream to open");
    expect(again.state.text).toMatch(/^HTTP\/1\.1 200/);
    for (const client of [...open, again]) client.socket.destroy();
  });
});
