/**
 * A JSON value, pretty-printed. Large values are collapsed (a `<details>` the user opens), so a
 * 1 MB payload does not swamp the page; long strings show their start until opened. Rendered as
 * text nodes: whatever the value holds is shown, never interpreted as markup.
 */
import type { ComponentChildren } from "preact";

/** Members or items past which an object or array starts collapsed. */
const COLLAPSE_ITEMS = 20;
/** Characters past which a string starts collapsed. */
const COLLAPSE_CHARS = 200;
/** Depth past which nested values start collapsed. */
const COLLAPSE_DEPTH = 3;

const Fold = ({ summary, children }: { summary: string; children: ComponentChildren }) => (
  <details class="fold">
    <summary>{summary}</summary>
    {children}
  </details>
);

const Value = ({ value, depth }: { value: unknown; depth: number }) => {
  if (typeof value === "string") {
    const text = JSON.stringify(value);
    return text.length > COLLAPSE_CHARS ? (
      <Fold summary={`${text.slice(0, 60)}… (${value.length} characters)`}>
        <span class="json-string">{text}</span>
      </Fold>
    ) : (
      <span class="json-string">{text}</span>
    );
  }
  if (value === null || typeof value !== "object")
    return <span class="json-scalar">{JSON.stringify(value)}</span>;
  const entries: Array<[string | undefined, unknown]> = Array.isArray(value)
    ? value.map((item) => [undefined, item])
    : Object.entries(value);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) return <span>{`${open}${close}`}</span>;
  const body = (
    <span>
      {open}
      <ul class="json-members">
        {entries.map(([key, item], index) => (
          <li key={key ?? index}>
            {key === undefined ? null : <span class="json-key">{JSON.stringify(key)}: </span>}
            <Value value={item} depth={depth + 1} />
            {index < entries.length - 1 ? "," : ""}
          </li>
        ))}
      </ul>
      {close}
    </span>
  );
  const label = Array.isArray(value) ? `${entries.length} items` : `${entries.length} members`;
  return entries.length > COLLAPSE_ITEMS || depth >= COLLAPSE_DEPTH ? (
    <Fold summary={`${open} ${label} ${close}`}>{body}</Fold>
  ) : (
    body
  );
};

export const JsonView = ({ value }: { value: unknown }) => (
  <pre class="json">
    <Value value={value} depth={0} />
  </pre>
);
