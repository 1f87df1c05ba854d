// Gold-answer extraction from benchmark solutions. Pure string functions (no grading here: the
// grader normalises and compares).

/** GSM8K: the final answer follows "####"; thousands separators are dropped ("1,000" -> "1000"). */
export function gsm8kAnswer(solution: string): string | null {
  const at = solution.lastIndexOf('####');
  if (at < 0) return null;
  const answer = solution
    .slice(at + 4)
    .trim()
    .replace(/(\d),(?=\d{3}\b)/g, '$1');
  return answer === '' ? null : answer;
}

/** The content of the last \boxed{...} (or \fbox{...}) in `text`, braces balanced; null if none. */
export function lastBoxed(text: string): string | null {
  const starts = [...text.matchAll(/\\(?:boxed|fbox)\s*\{/g)];
  const last = starts.at(-1);
  if (!last) return null;
  let depth = 1;
  const open = (last.index as number) + last[0].length;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++; // an escaped brace (\{ or \}) does not nest
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      const inner = text.slice(open, i).trim();
      return inner === '' ? null : inner;
    }
  }
  return null;
}

/** Drops one pair of enclosing $...$ (answers written as inline LaTeX). */
export function stripDollars(answer: string): string {
  const t = answer.trim();
  return t.length >= 2 && t.startsWith('$') && t.endsWith('$') ? t.slice(1, -1).trim() : t;
}

/** A JSON number as the shortest decimal string (27.0 -> "27"). */
export function numberAnswer(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return null;
}

/** ASDiv answers carry a unit in parentheses ("9 (apples)"): keep the value. */
export function asdivAnswer(answer: unknown): string | null {
  if (typeof answer !== 'string') return null;
  const value = answer.replace(/\s*\([^()]*\)\s*$/, '').trim();
  return value === '' ? null : value;
}

/** Body and question of a word problem as one text (a period added when the body has none). */
export function joinBody(body: string, question: string): string {
  const b = body.trim();
  const sep = /[A-Za-z0-9]$/.test(b) ? '. ' : ' ';
  return `${b}${sep}${question.trim()}`;
}
