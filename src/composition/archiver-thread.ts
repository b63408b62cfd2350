/**
 * The archiver in a worker thread of its own (ADR 0044): how `docket api` and `docket start` run
 * it. Sealing a segment reads ~6 MB from Redis, decodes, hashes and writes it; inline, that held
 * the API's event loop for 8–15 ms at a time, and every request and job waiting on that loop
 * waited too. In a thread, on its own Redis connection, none of that runs on the API's loop; the
 * API keeps the archiver's status (posted by the thread) for /health and /metrics.
 *
 * A thread that ends by itself (a crash, a load failure) is reported through `onError`, shown
 * as paused (`archiver_thread_ended`: /health is degraded) and started again after a back-off,
 * so archiving never silently stops while the API runs.
 *
 * Lifetime: `start()` starts the thread; `stop()` stops the archiver (releasing its lease), then
 * the thread.
 */
import type { Worker as Thread } from "node:worker_threads";
import type { ArchiverStatus } from "../engine/archive/index.ts";
import { siblingModule, startModuleThread, type ThreadLoadFailed } from "../engine/shared/index.ts";
import { loadSigningKey } from "../infra/archive/ed25519.ts";
import type { ArchiverSettings } from "./archive.ts";
import type { DocketConfig } from "./engine.ts";

/** The settings a thread can be given: data only (functions do not cross to a thread). */
export type ThreadArchiverSettings = Omit<ArchiverSettings, "onError" | "onCommitStep" | "thread" | "onKey">;

/** What the thread is started with (its workerData). */
export interface ArchiverThreadData {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly shards: number;
  readonly settings: ThreadArchiverSettings;
  /** How often the thread posts its status when it has changed. */
  readonly statusEveryMs: number;
}

/** API → thread. */
export type ToArchiverThread = { readonly kind: "start" } | { readonly kind: "stop" };

/** Thread → API. */
export type FromArchiverThread =
  | { readonly kind: "ready" }
  | ThreadLoadFailed
  | { readonly kind: "status"; readonly status: ArchiverStatus }
  | { readonly kind: "error"; readonly message: string }
  | { readonly kind: "stopped" };

/** What an API process needs of its archiver, inline or in a thread. */
export interface ArchiverRole {
  start(): void;
  stop(): Promise<void>;
  status(): ArchiverStatus;
}

export interface ArchiverThreadOptions {
  /** The thread's entry module (default archiver-thread-main); tests give one that misbehaves. */
  readonly entry?: URL;
  /** How often the thread posts its status when it has changed (default 250 ms). */
  readonly statusEveryMs?: number;
  /** The first pause before a thread that ended is started again; doubled up to 30 s. */
  readonly restartMs?: number;
  /**
   * How long stop() waits for the archiver to let go of its lease before ending the thread
   * (default 3 s: within the CLI's shutdown margin, SHUTDOWN_MARGIN_MS).
   */
  readonly stopTimeoutMs?: number;
}

const MAX_RESTART_MS = 30_000;
const STABLE_MS = 60_000;

/** The status figures that only grow: a thread's are added to those of the threads before it. */
const COUNTS = ["sealed", "archivedEntries", "trimmedEntries", "evictionsRecorded", "evicted"] as const;
type Counts = Pick<ArchiverStatus, (typeof COUNTS)[number]>;
const NO_COUNTS: Counts = {
  sealed: 0,
  archivedEntries: 0,
  trimmedEntries: 0,
  evictionsRecorded: 0,
  evicted: 0,
};
const addCounts = (a: Counts, b: Counts): Counts =>
  Object.fromEntries(COUNTS.map((key) => [key, a[key] + b[key]])) as unknown as Counts;

/** Before the first thread has said anything. */
const IDLE: ArchiverStatus = {
  state: "idle",
  holder: "",
  fence: null,
  paused: null,
  lastError: null,
  ...NO_COUNTS,
  shards: [],
};

export class ArchiverThread implements ArchiverRole {
  private thread: Thread | null = null;
  private wanted = false;
  private latest: ArchiverStatus = IDLE;
  /** Counts carried over from threads that ended, so the totals only grow. */
  private carried: Counts = NO_COUNTS;
  /** Whether the current thread has loaded its entry (said "ready"). */
  private loaded = false;
  private restarts = 0;
  private spawnedAt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private ended: Promise<void> = Promise.resolve();
  private readonly entry: URL;
  private readonly data: ArchiverThreadData;

  constructor(
    config: Pick<DocketConfig, "redisUrl" | "prefix" | "shards">,
    private readonly settings: ArchiverSettings,
    private readonly options: ArchiverThreadOptions = {},
  ) {
    // The key is read (or made) here, as the inline archiver does: a key that cannot be read
    // stops the process at start, not later in a thread.
    // (Read first: `onKey?.(read())` would not read at all without an onKey.)
    const key = loadSigningKey({
      dataDir: settings.dataDir,
      ...(settings.signingKeyPath === undefined ? {} : { keyPath: settings.signingKeyPath }),
    });
    settings.onKey?.(key);
    const { onError: _e, onCommitStep: _c, thread: _t, onKey: _k, ...data } = settings;
    this.entry = options.entry ?? siblingModule(import.meta.url, "archiver-thread-main");
    this.data = {
      redisUrl: config.redisUrl,
      prefix: config.prefix,
      shards: config.shards,
      settings: data,
      statusEveryMs: options.statusEveryMs ?? 250,
    };
  }

  status(): ArchiverStatus {
    return { ...this.latest, ...addCounts(this.carried, this.latest) };
  }

  start(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.spawn();
  }

  async stop(): Promise<void> {
    this.wanted = false;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const thread = this.thread;
    if (thread !== null) {
      if (this.loaded) thread.postMessage({ kind: "stop" } satisfies ToArchiverThread);
      // Still loading, it holds nothing (no lease, no connection yet): it is ended at once.
      else void thread.terminate();
      // A thread that cannot stop in time (Redis gone mid-release) is ended: its lease lapses.
      const timer = setTimeout(() => void thread.terminate(), this.options.stopTimeoutMs ?? 3_000);
      await this.ended;
      clearTimeout(timer);
    }
    // Stopped on purpose: not paused, whatever ended a thread before.
    this.latest = { ...this.latest, state: "stopped", fence: null, paused: null };
  }

  private spawn(): void {
    const thread = startModuleThread(this.entry, "the archiver thread", this.data);
    this.spawnedAt = Date.now();
    // It must not keep a process alive that forgot to stop it.
    thread.unref();
    this.thread = thread;
    this.loaded = false;
    let failed: string | null = null;
    thread.on("message", (message: FromArchiverThread) => {
      switch (message.kind) {
        case "ready":
          this.loaded = true;
          // Not after a stop() that came while it loaded (that stop ends the thread).
          if (this.wanted) thread.postMessage({ kind: "start" } satisfies ToArchiverThread);
          break;
        case "status":
          this.latest = message.status;
          break;
        case "error":
          this.settings.onError?.(new Error(message.message));
          break;
        case "load_failed":
          failed = message.message;
          void thread.terminate();
          break;
        case "stopped":
          break;
      }
    });
    let crash: unknown;
    thread.on("error", (error) => (crash = error));
    this.ended = new Promise((resolve) =>
      thread.once("exit", (code) => {
        this.thread = null;
        this.carryCounts();
        resolve();
        if (!this.wanted) return;
        const why =
          failed ??
          (crash === undefined
            ? `the archiver thread exited with code ${code}`
            : `the archiver thread died of ${crash instanceof Error ? `${crash.name}: ${crash.message}` : String(crash)}`);
        this.threadEnded(why);
      }),
    );
  }

  /**
   * A thread has ended (stopped or not): its counts join the carried totals, so they only grow
   * across threads, as an inline archiver's do across stop and start; its last progress stays.
   */
  private carryCounts(): void {
    this.carried = addCounts(this.carried, this.latest);
    this.latest = { ...this.latest, ...NO_COUNTS, state: "stopped", fence: null };
  }

  /** A thread that ended while wanted: say so, start another after a pause. */
  private threadEnded(why: string): void {
    // A thread that ran a good while before it ended starts the back-off afresh.
    if (Date.now() - this.spawnedAt > STABLE_MS) this.restarts = 0;
    const delay = Math.min(MAX_RESTART_MS, (this.options.restartMs ?? 1_000) * 2 ** this.restarts);
    this.restarts += 1;
    const message = `${why}; starting it again in ${delay} ms`;
    // Archiving is not running: /health says so (degraded, archive_paused) until a thread is back.
    this.latest = {
      ...this.latest,
      lastError: message,
      paused: { code: "archiver_thread_ended", message, since: Date.now() },
    };
    this.settings.onError?.(new Error(message));
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.wanted) this.spawn();
    }, delay);
    this.restartTimer.unref();
  }
}
