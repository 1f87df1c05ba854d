// Self-reflective responses: a failed attempt (prose cut short, a program whole), the hint for
// the failed method, then a correct solution with the reference method.
import type { Method } from './types';

/** Lines that open or close a fenced block (```python, ```output, ```). */
const FENCE = /^\s*```/;

/**
 * The text with no fenced block left open: a text that ends inside a block (cut inside a program,
 * or a response truncated by the token budget) gets a closing fence, so the hint that follows is
 * prose and not part of the program.
 */
export function closeFences(text: string): string {
  const open = text.split('\n').filter((l) => FENCE.test(l)).length % 2 === 1;
  return open ? `${text}\n\`\`\`` : text;
}

/**
 * A failed attempt cut short: its first `lines` lines and, with `dropAnswer`, nothing from the
 * sentence that states its final answer on (a short attempt is otherwise whole, and the model learns
 * to append the hint after finished answers, right ones included). Trailing whitespace is dropped
 * (one separator follows); an open fenced block is closed.
 */
export function cutAttempt(text: string, lines: number, dropAnswer = false): string {
  let cut = text.split('\n').slice(0, lines).join('\n');
  const answer = dropAnswer ? cut.search(/The answer is|\\boxed\{/) : -1;
  if (answer >= 0) {
    const before = cut.slice(0, answer);
    const sentence = before.lastIndexOf('. ');
    cut = cut.slice(0, Math.max(sentence >= 0 ? sentence + 1 : 0, before.lastIndexOf('\n') + 1));
  }
  return closeFences(cut.replace(/\s+$/, ''));
}

export interface CutOptions {
  cut_lines: number;
  cut_answer: boolean;
  cut_code: boolean;
}

/**
 * The failed attempt as the reflective sample shows it. Prose is cut (`cutAttempt`); a program is
 * kept whole through its output and final answer, as the authors do, unless `cut_code`.
 */
export function failedAttemptText(text: string, method: Method, opts: CutOptions): string {
  if (method === 'code' && !opts.cut_code) return closeFences(text.replace(/\s+$/, ''));
  return cutAttempt(text, opts.cut_lines, opts.cut_answer);
}

/** The hint that follows a failed attempt with `failed` (it points to the other method). */
export function hintFor(failed: Method, hints: { hint_after_cot: string; hint_after_code: string }): string {
  return failed === 'cot' ? hints.hint_after_cot : hints.hint_after_code;
}

/** The text tokenized as the reflective prefix: cut attempt, newline, hint, newline. */
export function reflectivePrefix(cut: string, hint: string): string {
  return `${cut}\n${hint}\n`;
}

/** Length of the common prefix of two token sequences. */
export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * Token columns of the prefix: the attempt's tokens (those shared with tokenize(cut)) get loss 0,
 * the rest (separator, hint, separator) loss 1; no behaviour log-prob was recorded for any (NaN).
 */
export function prefixColumns(
  prefixIds: readonly number[],
  cutIds: readonly number[],
): { loss_mask: number[]; behavior_logprobs: number[] } {
  const attempt = commonPrefix(prefixIds, cutIds);
  const loss_mask = prefixIds.map((_, i) => (i < attempt ? 0 : 1));
  const behavior_logprobs = prefixIds.map(() => Number.NaN);
  return { loss_mask, behavior_logprobs };
}
