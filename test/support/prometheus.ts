/**
 * Reading a `/metrics` answer as Prometheus would: parsed by an independent parser of the text
 * exposition format, after a strict line check (every line a comment or a well-formed sample,
 * each family declared once), then looked up by name and labels.
 */
import parse from "parse-prometheus-text-format";
import { expect } from "vitest";

const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?([0-9.e+-]+|NaN|\+Inf|-Inf)$/;

export interface Exposition {
  readonly names: ReadonlyArray<string>;
  /** A counter's or gauge's value for exactly these labels (0 when absent). */
  value(name: string, labels?: Record<string, string>): number;
  /** A histogram's count for exactly these labels (0 when absent). */
  count(name: string, labels?: Record<string, string>): number;
  type(name: string): string | undefined;
}

const sameLabels = (a: Readonly<Record<string, string>> | undefined, b: Record<string, string>) => {
  const left = a ?? {};
  return (
    Object.keys(left).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => left[k] === v)
  );
};

/** Labels as prom-client writes them: in the order given, `{a="x",b="y"}`, nothing when none. */
const labelText = (labels: Record<string, string>): string => {
  const entries = Object.entries(labels);
  return entries.length === 0 ? "" : `{${entries.map(([k, v]) => `${k}="${v}"`).join(",")}}`;
};

export const readExposition = (text: string): Exposition => {
  const lines = text.split("\n").filter((line) => line !== "");
  for (const line of lines) if (!line.startsWith("#")) expect(line).toMatch(SAMPLE);
  const declared = lines.filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2] ?? "");
  expect(new Set(declared).size, "each family declared once").toBe(declared.length);
  const families = parse(text);
  const family = (name: string) => families.find((f) => f.name === name);
  return {
    names: families.map((f) => f.name),
    type: (name) => family(name)?.type,
    value: (name, labels = {}) =>
      Number(family(name)?.metrics.find((m) => sameLabels(m.labels, labels))?.value ?? 0),
    // Read off the `_count` lines: the parser drops a labelled histogram's labels and count.
    count: (name, labels = {}) => {
      const wanted = `${name}_count${labelText(labels)} `;
      const line = lines.find((l) => l.startsWith(wanted));
      return line === undefined ? 0 : Number(line.slice(wanted.length));
    },
  };
};
