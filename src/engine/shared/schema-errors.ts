/** Turns an Effect Schema failure into the first offending field (dotted path) and a message. */
import type * as Schema from "effect/Schema";
import * as SchemaIssue from "effect/SchemaIssue";

const formatter = SchemaIssue.makeFormatterStandardSchemaV1();

export const firstIssue = (
  error: Schema.SchemaError,
): { readonly field: string; readonly message: string } => {
  const [issue] = formatter(error.issue).issues;
  const path = (issue?.path ?? []).map((segment) =>
    String(typeof segment === "object" ? segment.key : segment),
  );
  return { field: path.length === 0 ? "(body)" : path.join("."), message: issue?.message ?? error.message };
};
