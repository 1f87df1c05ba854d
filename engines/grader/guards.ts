// Cheap refusals that keep hostile input away from the expensive stages. The LaTeX parser also
// runs isolated with a hard timeout (isolate.ts); these limits just spare it pointless work. A
// refused comparison is "undecided" (equal: null), never false. Limits sit well above every answer in the benchmarks:
// the longest MATH/OlympiadBench/college_math final answers are a few hundred characters.
import { longestDigitRun, nestingDepth } from './text';

/** Longest answer the structural stages look at (longer ones: exact match only). */
export const MAX_ANSWER_CHARS = 4000;
/** Deepest bracket nesting the structural stages look at. */
export const MAX_ANSWER_DEPTH = 40;

/** Longest scalar handed to a parser. */
export const MAX_PARSE_CHARS = 600;
export const MAX_PARSE_DEPTH = 16;
export const MAX_PARSE_DIGITS = 60;
/** Exponent towers deeper than this only overflow: refuse them up front. */
export const MAX_POWER_DEPTH = 4;

/** Why an answer is refused before any structural work, or null. */
export function guardAnswer(s: string): string | null {
  if (s.length > MAX_ANSWER_CHARS) return 'too_long';
  if (nestingDepth(s) > MAX_ANSWER_DEPTH) return 'too_deep';
  return null;
}

function powerDepth(s: string): number {
  // Counts "^" whose exponent is a braced group that itself contains "^": a tower.
  let max = 0;
  let depth = 0;
  const stack: boolean[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '^' && s[i + 1] === '{') {
      stack.push(true);
      depth++;
      if (depth > max) max = depth;
      i++;
    } else if (ch === '{') stack.push(false);
    else if (ch === '}') {
      if (stack.pop()) depth--;
    } else if (ch === '^' && depth + 1 > max) max = depth + 1;
  }
  return max;
}

/** Why a scalar is refused before parsing, or null. */
export function guardExpression(s: string): string | null {
  if (s.length > MAX_PARSE_CHARS) return 'too_long';
  if (nestingDepth(s) > MAX_PARSE_DEPTH) return 'too_deep';
  if (longestDigitRun(s) > MAX_PARSE_DIGITS) return 'too_many_digits';
  if (powerDepth(s) > MAX_POWER_DEPTH) return 'power_tower';
  return null;
}
