/**
 * The projection comparison for verify (DESIGN §7 inv. 8), as verify wants it: one sentence per
 * row that differs between the live projection and a fresh rebuild from the log. The same text
 * whether the comparison ran in this process or came back from the API's `/v1/projections/check`.
 */
import type { RowDifference } from "../read/index.ts";

const oneLine = (value: unknown): string => JSON.stringify(value) ?? "null";

export const describeProjectionDifferences = (
  differences: ReadonlyArray<RowDifference>,
): ReadonlyArray<string> =>
  differences.map((d) =>
    d.live === null
      ? `${d.table} row ${oneLine(d.key)} is missing from the live projection (the log has ${oneLine(d.rebuilt)})`
      : d.rebuilt === null
        ? `${d.table} row ${oneLine(d.key)} is in the live projection but not in the log's fold (${oneLine(d.live)})`
        : `${d.table} row ${oneLine(d.key)} differs: live ${oneLine(d.live)}, log ${oneLine(d.rebuilt)}`,
  );
