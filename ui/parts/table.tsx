/**
 * A table of rows in a sideways-scrolling box (so a narrow screen scrolls the table, not the
 * page): its headings, "Loading…" until the rows arrive, `empty` when there are none.
 */
import type { ComponentChildren } from "preact";

export const Table = <T,>(props: {
  readonly testId?: string;
  readonly class?: string;
  /** Column headings; an empty one is announced as `Actions` to screen readers only. */
  readonly columns: ReadonlyArray<string>;
  readonly rows: ReadonlyArray<T> | undefined;
  readonly empty: string;
  readonly row: (item: T) => ComponentChildren;
}) => (
  <div class="scroll">
    <table data-testid={props.testId} class={props.class}>
      <thead>
        <tr>
          {props.columns.map((column) => (
            <th scope="col" key={column}>
              {column === "" ? <span class="visually-hidden">Actions</span> : column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows === undefined || props.rows.length === 0 ? (
          <tr>
            <td colSpan={props.columns.length}>{props.rows === undefined ? "Loading…" : props.empty}</td>
          </tr>
        ) : (
          props.rows.map(props.row)
        )}
      </tbody>
    </table>
  </div>
);

/** A job's latest error as `code: message`, or nothing. */
export const errorLine = (error: { readonly code: string; readonly message: string } | null): string =>
  error === null ? "" : `${error.code}: ${error.message}`;
