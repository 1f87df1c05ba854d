// The default reward until the grader is wired in: the last \boxed{} (else the last number) of the
// response, compared with the gold answer as a number when both read as one, else as plain text.
import type { Judgement } from './tools';

/** Contents of the last \boxed{...}, braces balanced; null when there is none. */
export function lastBoxed(text: string): string | null {
  const start = text.lastIndexOf('\\boxed{');
  if (start < 0) return null;
  let depth = 0;
  for (let i = start + 6; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(start + 7, i);
  }
  return null;
}

const NUMBER = /-?\d[\d,]*(?:\.\d+)?|-?\.\d+/g;

export function extractAnswer(text: string): string | null {
  const boxed = lastBoxed(text);
  if (boxed !== null) return boxed.trim();
  const numbers = text.match(NUMBER);
  return numbers ? (numbers[numbers.length - 1] as string) : null;
}

/** The value of a plain number, fraction or \frac, after dropping $, spaces, thousands commas, %; else null. */
export function toNumber(answer: string): number | null {
  const s = answer
    .replace(/\\[!,;]|\\text\{[^}]*\}|\$|\s|\\%|%/g, '')
    .replace(/(\d),(?=\d{3}(\D|$))/g, '$1')
    .replace(/\.$/, '');
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(s)) return Number(s);
  const frac = /^([-+]?)\\d?frac\{([-+]?\d+)\}\{([-+]?\d+)\}$/.exec(s) ?? /^([-+]?)(\d+)\/(\d+)$/.exec(s);
  if (frac) {
    const v = Number(frac[2]) / Number(frac[3]);
    return Number.isFinite(v) ? (frac[1] === '-' ? -v : v) : null;
  }
  return null;
}

export function defaultReward(gold: string, responseText: string): Judgement {
  const final_answer = extractAnswer(responseText);
  if (final_answer === null) return { reward: 0, final_answer };
  const a = toNumber(final_answer);
  const g = toNumber(lastBoxed(gold) ?? gold);
  const equal =
    a !== null && g !== null
      ? Math.abs(a - g) <= 1e-9 * Math.max(1, Math.abs(g))
      : final_answer.replace(/\s/g, '') === gold.replace(/\s/g, '');
  return { reward: equal ? 1 : 0, final_answer };
}
