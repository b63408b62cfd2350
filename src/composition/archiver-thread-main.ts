/**
 * The archiver thread's entry (ADR 0044; started by archiver-thread.ts): an archiver on a Redis
 * connection of its own, started when the API says so, its status posted whenever it changes,
 * its errors posted as text. On "stop" it stops the archiver (releasing the lease), closes its
 * connection and lets the thread end.
 */
import { parentPort, workerData } from "node:worker_threads";
import { openArchiver } from "./archive.ts";
import type { ArchiverThreadData, FromArchiverThread, ToArchiverThread } from "./archiver-thread.ts";

const port = parentPort;
if (port === null) throw new Error("archiver-thread-main runs in a worker thread");
const data = workerData as ArchiverThreadData;
const post = (message: FromArchiverThread): void => port.postMessage(message);

const opened = openArchiver(
  { redisUrl: data.redisUrl, prefix: data.prefix, shards: data.shards },
  {
    ...data.settings,
    onError: (error) =>
      post({ kind: "error", message: error instanceof Error ? error.message : String(error) }),
  },
);
const { archiver } = opened;

let said = "";
const postStatus = (): void => {
  const status = archiver.status();
  const text = JSON.stringify(status);
  if (text === said) return;
  said = text;
  post({ kind: "status", status });
};
const watch = setInterval(postStatus, data.statusEveryMs);

let stopping = false;
port.on("message", (message: ToArchiverThread) => {
  if (message.kind === "start" && !stopping)
    // Its own connection may take a moment to come up: the first pass waits for it.
    void opened
      .ready()
      .catch(() => undefined)
      .then(() => {
        if (!stopping) archiver.start();
      });
  else if (message.kind === "stop" && !stopping) {
    stopping = true;
    void opened.close().finally(() => {
      clearInterval(watch);
      postStatus();
      post({ kind: "stopped" });
      port.close();
    });
  }
});
postStatus();
post({ kind: "ready" });
