/**
 * Splitting a bundle file into lines (`splitLines`, what `docket audit verify --file` reads a
 * file through) does not depend on how the file arrives: for any text and any cut into chunks
 * (strings, or UTF-8 bytes cut anywhere, even inside a character), the lines are the text's
 * lines; and a line longer than the bound is refused (BundleLineTooLong) however it is cut,
 * while every line within it is yielded whole.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BundleLineTooLong, splitLines } from "../src/engine/audit/index.ts";

const collect = async (lines: AsyncIterable<string>): Promise<Array<string>> => {
  const out: Array<string> = [];
  for await (const line of lines) out.push(line);
  return out;
};

/** The text's lines as the format defines them: split on "\n", no empty line after a final "\n". */
const linesOf = (text: string): Array<string> => {
  if (text === "") return [];
  const parts = text.split("\n");
  if (text.endsWith("\n")) parts.pop();
  return parts;
};

/** `text` cut at the given points (positions modulo its length, sorted). */
const cut = <T extends { length: number; slice(a: number, b?: number): T }>(
  text: T,
  points: ReadonlyArray<number>,
): Array<T> => {
  const at = [...new Set(points.map((p) => (text.length === 0 ? 0 : p % (text.length + 1))))].sort(
    (a, b) => a - b,
  );
  const pieces: Array<T> = [];
  let from = 0;
  for (const p of at) {
    pieces.push(text.slice(from, p));
    from = p;
  }
  pieces.push(text.slice(from));
  return pieces;
};

const textArb = fc
  .array(fc.oneof(fc.string({ unit: "grapheme" }), fc.constant("\n")), { maxLength: 30 })
  .map((parts) => parts.join(""));
const cutsArb = fc.array(fc.nat(), { maxLength: 12 });

async function* bytes(chunks: ReadonlyArray<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

describe("bundle lines (property)", () => {
  it("the lines of a text are the same however it is cut into chunks, as strings or as UTF-8 bytes", async () => {
    await fc.assert(
      fc.asyncProperty(textArb, cutsArb, async (text, points) => {
        expect(await collect(splitLines(cut(text, points)))).toEqual(linesOf(text));
        const encoded = new TextEncoder().encode(text);
        expect(await collect(splitLines(bytes(cut(encoded, points))))).toEqual(linesOf(text));
      }),
    );
  });

  it("a line longer than the bound is refused however it is cut; every line before it is yielded whole", async () => {
    await fc.assert(
      fc.asyncProperty(textArb, fc.integer({ min: 1, max: 40 }), cutsArb, async (text, max, points) => {
        const lines = linesOf(text);
        const firstTooLong = lines.findIndex((line) => line.length > max);
        const yielded: Array<string> = [];
        let refused = false;
        try {
          for await (const line of splitLines(cut(text, points), max)) yielded.push(line);
        } catch (error) {
          expect(error).toBeInstanceOf(BundleLineTooLong);
          refused = true;
        }
        if (firstTooLong < 0) expect([refused, yielded]).toEqual([false, lines]);
        else expect([refused, yielded]).toEqual([true, lines.slice(0, firstTooLong)]);
      }),
    );
  });
});
