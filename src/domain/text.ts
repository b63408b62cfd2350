/**
 * Text in events: well-formed Unicode of bounded length.
 *
 * A lone surrogate (an unpaired UTF-16 half such as "\ud800") has no UTF-8 form: RFC 8785 cannot
 * hash it, so an event holding one could be neither sealed nor verified. Every string in an event
 * must therefore be well-formed; the schemas refuse the rest (ADR 0018). Text Docket records on a
 * handler's behalf (log lines, progress messages, error messages) is repaired instead with
 * `fitText`, so a handler's sloppy string never costs it its attempt.
 */
import * as Schema from "effect/Schema";

const WELL_FORMED = "a well-formed Unicode string (no lone surrogate)";

/** The check every event string carries: no lone surrogate. */
export const isWellFormedText = Schema.makeFilter((s: string) => s.isWellFormed() || WELL_FORMED, {
  expected: WELL_FORMED,
});

/** A well-formed string of `minLength` to `maxLength` UTF-16 code units. */
export const Text = (minLength: number, maxLength: number) =>
  Schema.String.check(Schema.isMinLength(minLength), Schema.isMaxLength(maxLength), isWellFormedText);

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/**
 * `text` made to fit an event: lone surrogates become U+FFFD, and text longer than `maxLength`
 * is cut (never inside a surrogate pair) and ends with a note of its original length, so the
 * reader knows it was cut. The result is well-formed and at most `maxLength` long.
 */
export const fitText = (text: string, maxLength: number): string => {
  if (text.length <= maxLength) return text.toWellFormed();
  const note = `… [truncated from ${text.length} characters]`;
  let end = Math.max(0, maxLength - note.length);
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return `${text.slice(0, end).toWellFormed()}${note}`.slice(0, maxLength);
};
