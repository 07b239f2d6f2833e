/**
 * "Did you mean" for misspelled names: scenario keys, catalog ids, distribution names and the
 * names in metric expressions.
 */

/**
 * Edit distance with adjacent transpositions (optimal string alignment): inserting, deleting,
 * substituting or swapping two neighbouring characters each cost 1, so `unifrom` is one step
 * from `uniform`.
 */
export function editDistance(a: string, b: string): number {
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, prevPrev[j - 2]! + 1);
      }
      row.push(best);
    }
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The closest candidate when it is close enough to be a likely typo: at most a third of the
 * word's length in edits (at least one), so short names only match one-character slips; or a
 * candidate the word starts with, or that starts with the word (`sdev` -> `sd`, `util` ->
 * `utilization`), counted as one edit. Ties go to the earlier candidate. Case is ignored for the
 * comparison (names are case-sensitive, but `Price` for `price` is still a typo).
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    const prefix = Math.min(w.length, lc.length) >= 2 && (w.startsWith(lc) || lc.startsWith(w));
    const dist = prefix ? Math.min(1, editDistance(w, lc)) : editDistance(w, lc);
    if (dist <= limit && dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}

/** `; did you mean \`x\`?` suffix, or '' when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : `; did you mean \`${c}\`?`;
}
