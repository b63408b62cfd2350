/**
 * "Did you mean …?" for a mistyped command: the command names closest to what was typed, by
 * edit distance (Levenshtein, with a swap of two neighbouring letters counting as one edit).
 * Twenty lines did not justify a dependency (ADR 0020).
 */

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
export const editDistance = (a: string, b: string): number => {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (rows[i] as Array<number>)[j] = best;
    }
  return at(a.length, b.length);
};

/** How many edits a word of this length may be away and still be suggested. */
const tolerance = (word: string): number => (word.length <= 3 ? 1 : word.length <= 6 ? 2 : 3);

/**
 * The commands (names of one or two words) closest to the first words typed, best first; none
 * when nothing is within a few edits. A command's last word alone also matches
 * (`docket verify` → `docket audit verify`).
 */
export const suggest = (
  typed: ReadonlyArray<string>,
  names: ReadonlyArray<string>,
): ReadonlyArray<string> => {
  const scored = names.flatMap((name) => {
    const words = name.split(" ");
    const whole = typed.slice(0, words.length).join(" ");
    const distances = [editDistance(whole, name)];
    if (words.length > 1 && typed[0] !== undefined)
      distances.push(editDistance(typed[0], words.at(-1) ?? ""));
    const distance = Math.min(...distances);
    return distance <= tolerance(name) ? [{ name, distance }] : [];
  });
  const best = Math.min(...scored.map((s) => s.distance));
  return scored.filter((s) => s.distance === best).map((s) => s.name);
};
