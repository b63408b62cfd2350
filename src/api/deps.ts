/**
 * What the HTTP API needs from the engine, as small interfaces; the composition root
 * (src/main.ts) provides them. Nothing here knows about Redis or SQLite.
 */
import type { FastifyBaseLogger } from "fastify";
import type { Actor } from "../domain/index.ts";
import type { Health } from "../contract/index.ts";
import type { ArchiverStatus, PurgeableStatus } from "../engine/archive/index.ts";
import type { AuditTools } from "../engine/audit/index.ts";
import type { JobService } from "../engine/write/index.ts";
import type { ScheduleService } from "../engine/schedule/index.ts";
import type { Clock } from "../engine/shared/index.ts";
import type { WebhookService } from "../engine/webhooks/index.ts";
import type { WorkerRegistry, WorkQueue } from "../engine/worker/index.ts";
import type {
  CheckReport,
  LogEntry,
  LogRecord,
  ProjectorStatus,
  QuarantineRecord,
  QuarantineRequest,
  ReadModels,
  RebuildReport,
} from "../engine/read/index.ts";
import type { NamedToken } from "./api-tokens.ts";
import type { ApiLimits } from "./limits.ts";

export interface ProjectionLag {
  /** The projector's state: catching_up, tailing, retrying, halted or stopped. */
  readonly state: string;
  /** Shards whose log has entries the projection has not applied yet. */
  readonly shardsBehind: number;
  /** Age of the oldest unapplied entry (0 when caught up), or null when unknown (Redis down). */
  readonly lagMs: number | null;
  /** The projector's error while it is failing (retrying or halted). */
  readonly lastError: string | null;
  /** While halted: the error that halted it (shard, entry id, why) and since when. */
  readonly halt: ProjectorStatus["halt"];
  /** Each shard's part (empty when Redis is unreachable): metrics report them one by one. */
  readonly shards: ReadonlyArray<{
    readonly shard: number;
    readonly caughtUp: boolean;
    readonly behindMs: number;
  }>;
}

export interface ProjectionFeed {
  lag(): Promise<ProjectionLag>;
  /** Called with each committed batch's entries (log order); returns an unsubscribe function. */
  onApplied(listener: (entries: ReadonlyArray<LogEntry>) => void): () => void;
  /** How many shard logs the deployment has. */
  readonly shards: number;
  /** Entries of one shard's log after `afterId`, oldest first, at most `count` (resumed streams). */
  logAfter(shard: number, afterId: string, count: number): Promise<ReadonlyArray<LogRecord>>;
  /** Replay the whole log into a new file and swap it in (the owner of the file does it). */
  rebuild(): Promise<RebuildReport>;
  /** Rebuild into a scratch file and compare it with the live one, row for row. */
  check(): Promise<CheckReport>;
  /** Skip one undecodable log entry from now on, recorded with who and why (ADR 0019). */
  quarantine(request: QuarantineRequest): Promise<QuarantineRecord>;
  /** The live projector's state and counters (halts, invalid entries, quarantined skips). */
  status(): ProjectorStatus;
}

export interface ApiDeps {
  readonly jobs: JobService;
  /** Schedules (ADR 0037): create, change, read; the scheduler itself runs beside the API. */
  readonly schedules: ScheduleService;
  readonly reads: ReadModels;
  readonly workers: Pick<WorkerRegistry, "list">;
  readonly queues: Pick<WorkQueue, "depth" | "depthCells">;
  /**
   * Round-trip time to Redis in ms (on a cluster, per shard: ADR 0047); rejects when Redis (a
   * shard's node) is unreachable.
   */
  readonly ping: () => Promise<Health["redis"]>;
  readonly projection: ProjectionFeed;
  /** The auditor's tools over the event store (read-only): replay, time travel, verify, export. */
  readonly audit: AuditTools;
  /**
   * An operator's purge (ADR 0034): record JobEvicted for up to `limit` jobs that ended in
   * `status` at least `olderThanMs` ago; returns how many. They leave Redis once archived.
   */
  readonly purge: (request: {
    readonly status: PurgeableStatus;
    readonly olderThanMs: number;
    readonly actor: Actor;
    readonly limit: number;
  }) => Promise<number>;
  /** The archiver's state when this process runs one (ADR 0028): health reports it. */
  readonly archive?: () => ArchiverStatus;
  readonly clock: Clock;
  /** Outbound webhook subscriptions and their deliveries (ADR 0038). */
  readonly webhooks: WebhookService;
  /**
   * The process's own registry in Prometheus text (counters, histograms, process metrics;
   * ADR 0031), served by `GET /metrics` after the projection's figures. Absent: those alone.
   */
  readonly processMetrics?: () => Promise<string>;
}

export interface ApiOptions {
  /**
   * When not empty, every route but the public ones (`/health`, `/openapi.json`) requires
   * `Authorization: Bearer <token>` with one of these; its name is the request's principal.
   * Empty or absent: no auth, every request is `anonymous` (ADR 0017).
   */
  readonly tokens?: ReadonlyArray<NamedToken>;
  /** Largest accepted body (default 1 MiB; bulk submits get 16×). */
  readonly bodyLimitBytes?: number;
  /** Resource bounds (SSE clients and buffers, time-travel scans); defaults in limits.ts. */
  readonly limits?: Partial<ApiLimits>;
  /**
   * fastify's logger: off by default (tests); `docket api`/`start` pass the process's pino logger
   * (ADR 0030), which gets a line per request and every 5xx with its error.
   */
  readonly logger?: boolean | FastifyBaseLogger;
  /**
   * Inbound hook sources and their secrets (`POST /v1/hooks/:source`, ADR 0038): a source not
   * in this map answers 404. Absent or empty: the route is closed.
   */
  readonly hookSecrets?: ReadonlyMap<string, string>;
  /**
   * The dashboard's built files, served under /ui (default: the package's dist/ui, ui.ts). Tests
   * pass their own build, so `npm pack` rebuilding dist/ beside them cannot pull files away.
   */
  readonly uiDir?: string;
}
