/**
 * The one table helper of the CLI's plain-text renderings (src/cli/render/): rows of cells
 * aligned into columns, and compact one-line JSON for a cell. Pure; no terminal knowledge.
 */

/** Left-align rows of cells into columns separated by two spaces (last column unpadded). */
export const alignColumns = (rows: ReadonlyArray<ReadonlyArray<string>>): Array<string> => {
  const widths: Array<number> = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
};

/** The same rows as one block of text (lines joined by "\n"). */
export const table = (rows: ReadonlyArray<ReadonlyArray<string>>): string => alignColumns(rows).join("\n");

/** Compact JSON, cut to `max` characters (0 = no limit) so one event stays one readable line. */
export const oneLineJson = (value: unknown, max: number): string => {
  const text = JSON.stringify(value) ?? "null";
  return max > 0 && text.length > max ? `${text.slice(0, max - 1)}…` : text;
};
