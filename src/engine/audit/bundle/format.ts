/**
 * The audit bundle format (docs/audit-bundle.md, ADR 0012): NDJSON, a header line then one
 * envelope per line, every line RFC 8785 canonical JSON. This module owns the header's schema
 * and the format's name and version; the writer and the offline verifier both use it.
 */
import * as Schema from "effect/Schema";
import { Hash, JobId, PositiveInt, Timestamp } from "../../../domain/index.ts";

export const BUNDLE_FORMAT = "docket-audit-bundle";
export const BUNDLE_FORMAT_VERSION = 1;

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));

/** One job in the header: how many events the bundle holds for it and the last one's hash. */
export const BundleJob = Schema.Struct({ jobId: JobId, events: PositiveInt, lastHash: Hash });
export type BundleJob = typeof BundleJob.Type;

export const BundleHeader = Schema.Struct({
  format: Schema.Literal(BUNDLE_FORMAT),
  formatVersion: Schema.Literal(BUNDLE_FORMAT_VERSION),
  generatedAt: Timestamp,
  /** `describeMachine()` of the exporting Docket: states and every transition with its guard. */
  machine: Schema.Json,
  machineVersion: PositiveInt,
  eventSchemaVersion: PositiveInt,
  filters: Schema.Struct({
    jobId: Schema.NullOr(JobId),
    since: Schema.NullOr(Timestamp),
  }),
  counts: Schema.Struct({ jobs: Count, events: Count }),
  jobs: Schema.Array(BundleJob),
});
export type BundleHeader = typeof BundleHeader.Type;
