/**
 * "Did you mean …?" for every name a person or a model can mistype: functions and integrations
 * (CLI, executor), catalog providers, MCP tool names. One ranking, so a typo is forgiven the
 * same way wherever it is made. It lives in the bottom layer because every layer above suggests.
 */

/**
 * Levenshtein distance: the fewest single-character insertions, deletions and substitutions
 * that turn `a` into `b`. Two rows of memory, O(|a|·|b|) time; callers bound the lengths
 * (see {@link closest}) before calling it on untrusted input.
 *
 * @example
 * editDistance('githb', 'github'); // 1
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length]!;
}

/** Lower case, with every run of separators (`_ - / . :` and spaces) read as one `-`. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[\s_\-/.:]+/g, '-');
}

function words(name: string): string[] {
  return name.split('-').filter((word) => word !== '');
}

/** Every word of `term` starts a word of `candidate`, in any order (`issue-create` ~ `fake-create-issue`). */
function wordsMatch(term: string, candidate: string): boolean {
  const wanted = words(term);
  const offered = words(candidate);
  return wanted.length > 0 && wanted.every((word) => offered.some((other) => other.startsWith(word)));
}

/**
 * Up to `max` candidates close to `term`, best first; ties keep the candidates' order. Close
 * means within an edit distance of max(2, length/3), or, for a term of 3+ characters, a prefix
 * of it either way (scored 1), contained in it either way or sharing all its words (scored 2).
 * Case and separators (`_`, `-`, `/`, `.`, spaces) are ignored. A very long term costs no more
 * than a scan: a candidate whose length differs by more than the limit is never edit-compared.
 *
 * @example
 * closest('get-isue', ['get-issue', 'list-issues', 'create-issue']); // ['get-issue']
 * closest('githb', ['gitlab', 'github', 'gitea']);                    // ['github', 'gitlab', 'gitea']
 */
export function closest(term: string, candidates: Iterable<string>, max = 3): string[] {
  const wanted = normalize(term);
  const limit = Math.max(2, Math.floor(term.length / 3));
  const seen = new Set<string>();
  const scored: Array<{ candidate: string; score: number }> = [];
  for (const candidate of candidates) {
    if (seen.has(candidate)) continue;
    seen.add(candidate);
    const name = normalize(candidate);
    let score = Math.abs(name.length - wanted.length) > limit ? Number.POSITIVE_INFINITY : editDistance(wanted, name);
    if (wanted.length >= 3) {
      if (name.startsWith(wanted) || wanted.startsWith(name)) score = Math.min(score, 1);
      else if (name.includes(wanted) || wanted.includes(name) || wordsMatch(wanted, name)) score = Math.min(score, 2);
    }
    if (score <= limit) scored.push({ candidate, score });
  }
  return scored
    .sort((a, b) => a.score - b.score)
    .slice(0, Math.max(0, max))
    .map((entry) => entry.candidate);
}
