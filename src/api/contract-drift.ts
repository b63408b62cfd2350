/**
 * Compile-time ties between what the engine returns and what the contract publishes (ADR 0026).
 * The API hands the engine's read models, reports and records to fastify as they are; each line
 * below says that such a value is a valid answer of the contract's schema, so a field the engine
 * adds, renames or widens fails `npm run typecheck` here, naming the field, instead of reaching
 * clients undocumented (the integration tests then check the values themselves). Types only:
 * nothing here runs.
 */
import type * as Contract from "../contract/index.ts";
import type { Envelope } from "../domain/index.ts";
import type * as Audit from "../engine/audit/index.ts";
import type * as Read from "../engine/read/index.ts";
import type { ApiDeps, ProjectionFeed } from "./deps.ts";
import type { MetricsReport } from "./metrics.ts";

/** `Engine` is accepted where `C` is expected; otherwise the typecheck fails on that line. */
type Fits<C, Engine extends C> = Engine;
/**
 * `Engine` has no top-level field `C` does not list: an extra field fits structurally but would
 * be undocumented (the integration tests' decoding refuses excess fields at every depth).
 */
type Unlisted<C, Engine> = Exclude<keyof Engine, keyof C>;
type NoneOf<Keys extends never> = Keys;

type Rebuilt = Awaited<ReturnType<ProjectionFeed["rebuild"]>>;
type Checked = Awaited<ReturnType<ProjectionFeed["check"]>>;
type Worker = Awaited<ReturnType<ApiDeps["workers"]["list"]>>[number];

export type ContractDrift = [
  Fits<Contract.JobView, Read.JobView>,
  NoneOf<Unlisted<Contract.JobView, Read.JobView>>,
  Fits<Contract.JobPage, Read.JobPage>,
  NoneOf<Unlisted<Contract.JobPage, Read.JobPage>>,
  Fits<Contract.Envelope, Envelope>,
  Fits<Contract.JobLogLine, Read.JobLogLine>,
  NoneOf<Unlisted<Contract.JobLogLine, Read.JobLogLine>>,
  NoneOf<Unlisted<Contract.Envelope, Envelope>>,
  Fits<Contract.QuarantineRecord, Read.QuarantineRecord>,
  NoneOf<Unlisted<Contract.QuarantineRecord, Read.QuarantineRecord>>,
  Fits<Contract.RebuildReport, Rebuilt>,
  NoneOf<Unlisted<Contract.RebuildReport, Rebuilt>>,
  Fits<Contract.CheckReport, Checked>,
  NoneOf<Unlisted<Contract.CheckReport, Checked>>,
  Fits<Contract.WorkerInfo, Worker>,
  NoneOf<Unlisted<Contract.WorkerInfo, Worker>>,
  Fits<Contract.Metrics, MetricsReport>,
  NoneOf<Unlisted<Contract.Metrics, MetricsReport>>,
  Fits<Contract.ReplayReport, Audit.ReplayReport>,
  NoneOf<Unlisted<Contract.ReplayReport, Audit.ReplayReport>>,
  Fits<Contract.StateAt, Audit.StateAt>,
  NoneOf<Unlisted<Contract.StateAt, Audit.StateAt>>,
  Fits<Contract.Explanation, Audit.Explanation>,
  NoneOf<Unlisted<Contract.Explanation, Audit.Explanation>>,
  Fits<Contract.VerifyReport, Audit.VerifyReport>,
  NoneOf<Unlisted<Contract.VerifyReport, Audit.VerifyReport>>,
  Fits<Contract.StateSummary, Audit.StateSummary>,
  NoneOf<Unlisted<Contract.StateSummary, Audit.StateSummary>>,
  Fits<Contract.Finding, Audit.Finding>,
  NoneOf<Unlisted<Contract.Finding, Audit.Finding>>,
];
