/** Small helpers for the plain-text renderers: aligned columns and one-line JSON. */

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

/** Compact JSON, cut to `max` characters (0 = no limit) so one event stays one readable line. */
export const oneLineJson = (value: unknown, max: number): string => {
  const text = JSON.stringify(value) ?? "null";
  return max > 0 && text.length > max ? `${text.slice(0, max - 1)}…` : text;
};
