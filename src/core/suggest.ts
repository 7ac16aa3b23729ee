/** "Did you mean": the edit distance behind every suggestion evtrail makes (rule ids, keys). */

/** Levenshtein distance: insertions, deletions and substitutions, one row kept. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The `n` names closest to `word` (case ignored), nearest first, ties by name. */
export function nearest(names: readonly string[], word: string, n: number): string[] {
  return [...new Set(names)]
    .map((name) => ({ name, k: editDistance(name.toLowerCase(), word.toLowerCase()) }))
    .sort((x, y) => x.k - y.k || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
    .slice(0, n)
    .map((x) => x.name);
}
