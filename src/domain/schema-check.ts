/**
 * A schema compiled into a plain check: the same rules as Effect's decoder, read off the same
 * schema object, at a fraction of the cost (ADR 0018).
 *
 * Every envelope is checked before it is appended and when it is read; Effect's decoder costs
 * 4-10 µs per envelope, as much as sealing it, on a path that writes two envelopes per job. The
 * compiled check walks the schema's AST once, at load, into closures; checking then costs a few
 * hundred nanoseconds. It understands the subset of Effect Schema the events use (strings,
 * numbers, booleans, null, literals, structs with optional keys, unions, arrays, Schema.Json, and
 * the checks on any of them, which it runs as they are) and refuses to compile anything else, so a
 * schema can never outgrow it silently. A property test compares it with Effect's decoder.
 *
 * It is as strict as Effect's decoder with `onExcessProperty: "error"` on JSON input, and on
 * other values it looks only at what JSON text would carry (own enumerable string-keyed members of
 * plain objects and arrays), since what it accepts must survive a trip through that text.
 */
import * as Schema from "effect/Schema";
import * as SchemaAST from "effect/SchemaAST";
import * as SchemaIssue from "effect/SchemaIssue";

/** Why a value is refused, and where: the path of member names and indexes inside it. */
export interface Problem {
  readonly path: ReadonlyArray<PropertyKey>;
  readonly message: string;
}

/** Undefined when the value is accepted, else the first problem found. */
export type CompiledCheck = (input: unknown) => Problem | undefined;

const at = (key: PropertyKey, problem: Problem): Problem => ({
  path: [key, ...problem.path],
  message: problem.message,
});

const refuse = (message: string): Problem => ({ path: [], message });

const PARSE_OPTIONS: SchemaAST.ParseOptions = { onExcessProperty: "error" };
const formatter = SchemaIssue.makeFormatterStandardSchemaV1();

/** A failed check's issue, worded as Effect words it (only computed on failure). */
const problemOf = (issue: SchemaIssue.Issue): Problem => {
  const [first] = formatter(issue).issues;
  const path = (first?.path ?? []).map((segment) => (typeof segment === "object" ? segment.key : segment));
  return { path, message: first?.message ?? "invalid value" };
};

const filtersOf = (checks: ReadonlyArray<SchemaAST.Check<unknown>>): Array<SchemaAST.Filter<unknown>> =>
  checks.flatMap((check) => (check._tag === "Filter" ? [check] : filtersOf(check.checks)));

const compileChecks = (ast: SchemaAST.AST): CompiledCheck | undefined => {
  if (ast.checks === undefined) return undefined;
  const filters = filtersOf(ast.checks);
  return (input) => {
    for (const filter of filters) {
      const issue = filter.run(input, ast, PARSE_OPTIONS);
      if (issue !== undefined) return problemOf(issue);
    }
    return undefined;
  };
};

const isPlainObject = (value: unknown): value is Record<PropertyKey, unknown> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || prototype === Object.prototype || Object.getPrototypeOf(prototype) === null;
};

const unsupported = (ast: SchemaAST.AST, why: string): never => {
  throw new Error(`compileCheck: ${ast._tag} ${why} is not supported`);
};

/** Schema.Json's parser; refinements of Schema.Json keep it, which is how they are recognised. */
const JSON_RUN = (Schema.Json.ast as SchemaAST.Declaration).run;

/** Effect's Schema.Json as a plain walk: finite numbers, plain objects and arrays, no cycles. */
const isJson = (value: unknown, ancestors: Array<object>): boolean => {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object":
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (ancestors.includes(value)) return false;
  ancestors.push(value);
  let ok = true;
  if (Array.isArray(value)) {
    for (let i = 0; ok && i < value.length; i++) ok = isJson(value[i], ancestors);
  } else if (!isPlainObject(value)) ok = false;
  else for (const key of Object.keys(value)) if (!(ok = isJson(value[key], ancestors))) break;
  ancestors.pop();
  return ok;
};

const compileObjects = (ast: SchemaAST.Objects): CompiledCheck => {
  if (ast.indexSignatures.length > 0) unsupported(ast, "with index signatures");
  if (ast.propertySignatures.length === 0) unsupported(ast, "without members");
  const members = ast.propertySignatures.map((ps) => ({
    name: ps.name,
    optional: SchemaAST.isOptional(ps.type),
    check: compile(ps.type),
  }));
  const names = new Set<PropertyKey>(members.map((m) => m.name));
  const excess = (input: Record<PropertyKey, unknown>): Problem => {
    const key = Object.keys(input).find((k) => !names.has(k)) ?? "(unknown)";
    return at(key, refuse("Unexpected key"));
  };
  return (input) => {
    if (!isPlainObject(input)) return refuse("Expected object");
    // Own members only: what JSON text carries. Symbol-keyed members never reach the text, so
    // they are not looked at.
    let present = 0;
    for (const member of members) {
      if (!Object.hasOwn(input, member.name)) {
        if (member.optional) continue;
        return at(member.name, refuse("Missing key"));
      }
      present++;
      const problem = member.check(input[member.name]);
      if (problem !== undefined) return at(member.name, problem);
    }
    // Every enumerable own name that is not a member is excess: there is one iff the counts
    // differ. (Structs are built by Docket's own code, which makes no non-enumerable members.)
    return Object.keys(input).length === present ? undefined : excess(input);
  };
};

/** The member name every alternative fixes with a literal (a tag), and each alternative by it. */
const discriminantOf = (
  types: ReadonlyArray<SchemaAST.AST>,
): { readonly name: PropertyKey; readonly byValue: Map<unknown, number> } | undefined => {
  const [first] = types;
  if (first === undefined || first._tag !== "Objects") return undefined;
  for (const candidate of first.propertySignatures) {
    const byValue = new Map<unknown, number>();
    const tagged = types.every((type, index) => {
      if (type._tag !== "Objects") return false;
      const ps = type.propertySignatures.find((p) => p.name === candidate.name);
      if (ps === undefined || ps.type._tag !== "Literal" || SchemaAST.isOptional(ps.type)) return false;
      if (ps.type.checks !== undefined || byValue.has(ps.type.literal)) return false;
      byValue.set(ps.type.literal, index);
      return true;
    });
    if (tagged) return { name: candidate.name, byValue };
  }
  return undefined;
};

const compileUnion = (ast: SchemaAST.Union): CompiledCheck => {
  if (ast.options?.mode === "oneOf") unsupported(ast, "in oneOf mode");
  if (ast.types.every((type) => type._tag === "Literal" && type.checks === undefined)) {
    // Schema.Literals: one set lookup instead of a check per literal.
    const literals = new Set<unknown>(ast.types.map((type) => (type as SchemaAST.Literal).literal));
    const expected = `Expected one of ${[...literals].map((l) => JSON.stringify(l)).join(", ")}`;
    return (input) => (literals.has(input) ? undefined : refuse(expected));
  }
  const alternatives = ast.types.map(compile);
  const tag = discriminantOf(ast.types);
  if (tag !== undefined)
    // A tagged union: only the alternative the tag names can accept the value.
    return (input) => {
      if (!isPlainObject(input)) return refuse("Expected object");
      const index = Object.hasOwn(input, tag.name) ? tag.byValue.get(input[tag.name]) : undefined;
      if (index === undefined)
        return at(tag.name, refuse(`Expected one of ${[...tag.byValue.keys()].map(String).join(", ")}`));
      return (alternatives[index] as CompiledCheck)(input);
    };
  return (input) => {
    let first: Problem | undefined;
    for (const alternative of alternatives) {
      const problem = alternative(input);
      if (problem === undefined) return undefined;
      first ??= problem;
    }
    return first ?? refuse("Expected a value of the union");
  };
};

const compileBase = (ast: SchemaAST.AST): CompiledCheck => {
  switch (ast._tag) {
    case "String":
      return (input) => (typeof input === "string" ? undefined : refuse("Expected string"));
    case "Number":
      return (input) => (typeof input === "number" ? undefined : refuse("Expected number"));
    case "Boolean":
      return (input) => (typeof input === "boolean" ? undefined : refuse("Expected boolean"));
    case "Null":
      return (input) => (input === null ? undefined : refuse("Expected null"));
    case "Undefined":
      return (input) => (input === undefined ? undefined : refuse("Expected undefined"));
    case "Literal": {
      const literal = ast.literal;
      const expected = `Expected ${JSON.stringify(literal)}`;
      return (input) => (input === literal ? undefined : refuse(expected));
    }
    case "Objects":
      return compileObjects(ast);
    case "Union":
      return compileUnion(ast);
    case "Arrays": {
      if (ast.elements.length > 0 || ast.rest.length !== 1) return unsupported(ast, "other than Array(item)");
      const item = compile(ast.rest[0] as SchemaAST.AST);
      return (input) => {
        if (!Array.isArray(input)) return refuse("Expected array");
        for (let i = 0; i < input.length; i++) {
          const problem = item(input[i]);
          if (problem !== undefined) return at(i, problem);
        }
        return undefined;
      };
    }
    case "Declaration":
      if (ast.run !== JSON_RUN) return unsupported(ast, "other than Schema.Json");
      return (input) => {
        try {
          return isJson(input, []) ? undefined : refuse("Expected JSON value");
        } catch {
          // A getter or proxy trap threw, or the value is deeper than the stack: not storable.
          return refuse("Expected JSON value");
        }
      };
    default:
      return unsupported(ast, "");
  }
};

const compile = (ast: SchemaAST.AST): CompiledCheck => {
  if (ast.encoding !== undefined) unsupported(ast, "with a transformation");
  const base = compileBase(ast);
  const checks = compileChecks(ast);
  return checks === undefined ? base : (input) => base(input) ?? checks(input);
};

/**
 * Compile `schema` (its decoded side) into a plain check, which never throws (a getter or proxy
 * trap that throws makes the value refused). Compiling throws if the schema uses what the
 * compiler does not support.
 */
export const compileCheck = (schema: Schema.Top): CompiledCheck => {
  const check = compile(schema.ast);
  return (input) => {
    try {
      return check(input);
    } catch {
      return refuse("the value could not be read");
    }
  };
};
