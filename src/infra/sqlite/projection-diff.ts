/**
 * Row-by-row comparison of two projection files, table by table: both tables are streamed in
 * primary-key order and merged, so memory stays flat however large they are. (ATTACH would keep
 * the work inside SQLite, but this library's lock — a `<file>.lock` directory — will not let an
 * attached database be detached again in exclusive mode; ADR 0009.) It yields to the event loop
 * every few milliseconds: comparing large files takes seconds, and the API must keep answering.
 * The caller keeps both files still meanwhile (a check stops the live projector first).
 */
import type { RowDifference } from "../../engine/read/ports.ts";
import { TimeSlice } from "../../engine/shared/index.ts";
import type { Row, SqliteDatabase } from "./database.ts";
import { TABLES } from "./schema.ts";

type Key = ReadonlyArray<Row[string]>;

const compareKeys = (a: Key, b: Key): number => {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string | number;
    const y = b[i] as string | number;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
};

const sameRow = (a: Row, b: Row): boolean => {
  const columns = Object.keys(a);
  return columns.length === Object.keys(b).length && columns.every((column) => a[column] === b[column]);
};

export const differencesBetween = async (
  live: SqliteDatabase,
  rebuilt: SqliteDatabase,
  limit = 100,
): Promise<ReadonlyArray<RowDifference>> => {
  const differences: Array<RowDifference> = [];
  const slice = new TimeSlice();
  let rows = 0;
  for (const { name, key } of TABLES) {
    const sql = `SELECT * FROM ${name} ORDER BY ${key.join(", ")}`;
    const keyOf = (row: Row): Key => key.map((column) => row[column] ?? null);
    const keyObject = (row: Row) => Object.fromEntries(key.map((column) => [column, row[column]]));
    const left = live.iterate(sql);
    const right = rebuilt.iterate(sql);
    let a = left.next();
    let b = right.next();
    let found = 0;
    try {
      while ((!a.done || !b.done) && found < limit) {
        // Reading the clock costs too: look every 256 rows.
        if (++rows % 256 === 0) await slice.yieldIfDue();
        const order = a.done ? 1 : b.done ? -1 : compareKeys(keyOf(a.value), keyOf(b.value));
        if (order === 0 && !a.done && !b.done) {
          if (!sameRow(a.value, b.value)) {
            differences.push({ table: name, key: keyObject(a.value), live: a.value, rebuilt: b.value });
            found += 1;
          }
          a = left.next();
          b = right.next();
        } else if (order < 0 && !a.done) {
          differences.push({ table: name, key: keyObject(a.value), live: a.value, rebuilt: null });
          found += 1;
          a = left.next();
        } else if (!b.done) {
          differences.push({ table: name, key: keyObject(b.value), live: null, rebuilt: b.value });
          found += 1;
          b = right.next();
        }
      }
    } finally {
      left.return(undefined);
      right.return(undefined);
    }
  }
  return differences;
};
