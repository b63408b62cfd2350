/**
 * JSON values in events (payloads, results): what makes one storable, and a safe copy of an
 * untrusted one.
 *
 * A storable JSON value is null, a boolean, a finite number, a well-formed string, or an array or
 * plain object of storable values, with well-formed member names, nested at most MAX_JSON_DEPTH
 * deep. Each rule is something a reader needs: RFC 8785 hashes only well-formed text and finite
 * numbers, and the canonicaliser and verifiers walk values recursively (ADR 0018).
 */
import * as Schema from "effect/Schema";
import { MAX_JSON_DEPTH } from "./limits.ts";
import type { Json } from "./json.ts";
import type { Problem } from "./schema-check.ts";

const at = (key: string | number, problem: Problem): Problem => ({
  path: [key, ...problem.path],
  message: problem.message,
});

const LONE_SURROGATE = "a string with a lone surrogate (not well-formed Unicode)";

/** A plain object: made by `{}`, JSON.parse or Object.create(null) (any realm). */
const isPlainObject = (value: object): boolean => {
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || prototype === Object.prototype || Object.getPrototypeOf(prototype) === null;
};

const leafProblem = (value: unknown): string | undefined => {
  switch (typeof value) {
    case "string":
      return value.isWellFormed() ? undefined : LONE_SURROGATE;
    case "number":
      return Number.isFinite(value) ? undefined : `${value} is not a finite number`;
    case "boolean":
      return undefined;
    default:
      return `a ${typeof value} is not JSON`;
  }
};

const walk = (value: unknown, depth: number): Problem | undefined => {
  if (typeof value !== "object") {
    const message = leafProblem(value);
    return message === undefined ? undefined : { path: [], message };
  }
  if (value === null) return undefined;
  if (depth >= MAX_JSON_DEPTH) return { path: [], message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = walk(value[i], depth + 1);
      if (problem !== undefined) return at(i, problem);
    }
    return undefined;
  }
  if (!isPlainObject(value)) return { path: [], message: "an object that is not a plain object is not JSON" };
  for (const key of Object.keys(value)) {
    if (!key.isWellFormed()) return { path: [], message: `a member name is ${LONE_SURROGATE}` };
    const problem = walk((value as Record<string, unknown>)[key], depth + 1);
    if (problem !== undefined) return at(key, problem);
  }
  return undefined;
};

/** Why `value` is not a storable JSON value, or undefined when it is. */
export const jsonProblem = (value: unknown): Problem | undefined => walk(value, 0);

/** A JSON value an event can hold (payloads, results): Schema.Json plus the rules above. */
export const JsonValue = Schema.Json.check(
  Schema.makeFilter(
    (value: Json) => {
      const problem = jsonProblem(value);
      return problem === undefined ? undefined : { path: problem.path, issue: problem.message };
    },
    { expected: `a JSON value of well-formed text, nested at most ${MAX_JSON_DEPTH} deep` },
  ),
);

class Refused {
  constructor(readonly problem: Problem) {}
}

/**
 * A fresh, storable copy of an untrusted value (a handler's result), or why it cannot be one.
 * Never throws: getters and proxies that throw, cycles, class instances, BigInts, functions are
 * all refusals. The copy is read once, so later reads (hashing, storing) see one value. The walk
 * stops once the text it would make passes `maxLength` UTF-16 code units (a bound on the work a
 * value shared many times over can cost); callers measure the exact size of the copy.
 */
export const copyJson = (
  value: unknown,
  maxLength: number,
): { readonly value: Json } | { readonly problem: Problem } => {
  let left = maxLength;
  const spend = (units: number) => {
    left -= units;
    if (left < 0) throw new Refused({ path: [], message: `longer than ${maxLength} characters as JSON` });
  };
  const copy = (input: unknown, depth: number): Json => {
    if (typeof input !== "object") {
      const message = leafProblem(input);
      if (message !== undefined) throw new Refused({ path: [], message });
      // A lower bound of its JSON length: a value that fits is never refused.
      spend(typeof input === "string" ? input.length + 2 : 1);
      return input as Json;
    }
    spend(2);
    if (input === null) return null;
    if (depth >= MAX_JSON_DEPTH)
      throw new Refused({ path: [], message: `nested deeper than ${MAX_JSON_DEPTH} levels` });
    const within = <A>(key: string | number, f: () => A): A => {
      try {
        return f();
      } catch (error) {
        throw error instanceof Refused ? new Refused(at(key, error.problem)) : error;
      }
    };
    if (Array.isArray(input)) {
      const items: Array<Json> = [];
      const length = input.length;
      for (let i = 0; i < length; i++) items.push(within(i, () => copy(input[i], depth + 1)));
      return items;
    }
    if (!isPlainObject(input))
      throw new Refused({ path: [], message: "an object that is not a plain object is not JSON" });
    const members: Record<string, Json> = {};
    for (const key of Object.keys(input)) {
      if (!key.isWellFormed()) throw new Refused({ path: [], message: `a member name is ${LONE_SURROGATE}` });
      spend(key.length + 3);
      const member = within(key, () => copy((input as Record<string, unknown>)[key], depth + 1));
      // An own member named "__proto__" (JSON.parse makes those) must stay a member.
      if (key === "__proto__")
        Object.defineProperty(members, key, {
          value: member,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else members[key] = member;
    }
    return members;
  };
  try {
    return { value: copy(value, 0) };
  } catch (error) {
    if (error instanceof Refused) return { problem: error.problem };
    // A getter or a proxy trap threw, or the value was too deep for the stack.
    return { problem: { path: [], message: "the value could not be read" } };
  }
};
