// isEquivalent: normalization, guards, then a walk over the two answers' shapes.
import { Budget, OutOfTime, Refused } from './budget';
import { choiceLetters, goldChoice, predChoice } from './choice';
import { answerPart } from './extract';
import { guardAnswer, MAX_ANSWER_CHARS } from './guards';
import { excludesPoints, realSet, sameSet } from './intervals';
import { compact, normalize, plain } from './normalize';
import { parseNumber } from './number';
import { compareEquations, compareScalars, type Verdict } from './scalar';
import { type Answer, MAX_ITEMS, parseAnswer } from './structure';
import { splitTopLevel } from './text';
import { isText, textEqual } from './units';

export type { Verdict } from './scalar';

export interface EquivalenceOptions {
  /** Time bound for this comparison in milliseconds (default 100). */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 100;
const RAW_LIMIT = 4 * MAX_ANSWER_CHARS;

const T = (reason: string): Verdict => ({ equal: true, reason });
const F = (reason: string): Verdict => ({ equal: false, reason });

/** All true → true; any false → false; otherwise undecided. */
function all(verdicts: Iterable<() => Verdict>, reason: string): Verdict {
  let undecided: Verdict | null = null;
  for (const next of verdicts) {
    const v = next();
    if (v.equal === false) return F(reason);
    if (v.equal === null) undecided ??= v;
  }
  return undecided ?? T(reason);
}

function ordered(g: Answer[], p: Answer[], budget: Budget, reason: string): Verdict {
  if (g.length !== p.length) return F(reason);
  return all(
    g.map((x, i) => () => compareAnswers(x, p[i] as Answer, budget)),
    reason,
  );
}

/** Multiset equality: a perfect matching of equal pairs (Kuhn's augmenting paths). */
function unordered(g: Answer[], p: Answer[], budget: Budget, reason: string): Verdict {
  if (g.length !== p.length) return F(reason);
  const n = g.length;
  const eq: Array<Array<boolean | null>> = g.map((x) => p.map((y) => compareAnswers(x, y, budget).equal));
  const matchOfP = new Array<number>(n).fill(-1);
  const tryAssign = (i: number, seen: boolean[]): boolean => {
    for (let j = 0; j < n; j++) {
      if (eq[i]?.[j] !== true || seen[j]) continue;
      seen[j] = true;
      if (matchOfP[j] === -1 || tryAssign(matchOfP[j] as number, seen)) {
        matchOfP[j] = i;
        return true;
      }
    }
    return false;
  };
  let matched = 0;
  for (let i = 0; i < n; i++) if (tryAssign(i, new Array<boolean>(n).fill(false))) matched++;
  if (matched === n) return T(reason);
  const anyUndecided = eq.some((row) => row.some((v) => v === null));
  return anyUndecided ? { equal: null, reason: 'undecided_element' } : F(reason);
}

function single(a: Answer): Answer {
  if ((a.kind === 'list' || a.kind === 'set') && a.items.length === 1) return a.items[0] as Answer;
  if (a.kind === 'union' && a.parts.length === 1) return a.parts[0] as Answer;
  return a;
}

const RELATION = /<|>|\\leq|\\geq/;

function ratioAsFraction(s: string): string | null {
  const parts = splitTopLevel(s, [':']);
  if (parts.length !== 2 || !parts.every((x) => isConstant(x))) return null;
  return `\\frac{${(parts[0] as string).trim()}}{${(parts[1] as string).trim()}}`;
}

/** "f(n) = 2n + 1" against "f(m) = 2m + 1": the same function; the prediction's variable renamed. */
function renamedDefinition(gLhs: string, pLhs: string, pRhs: Answer): Answer | null {
  const call = /^([a-zA-Z](?:_\{?[a-zA-Z0-9]+\}?)?)\s*\(\s*([a-zA-Z])\s*\)$/;
  const gm = call.exec(gLhs.trim());
  const pm = call.exec(pLhs.trim());
  if (!gm || !pm || gm[1] !== pm[1] || gm[2] === pm[2] || pRhs.kind !== 'scalar') return null;
  const from = pm[2] as string;
  const to = gm[2] as string;
  if (new RegExp(`(?<![\\\\a-zA-Z])${to}(?![a-zA-Z])`).test(pRhs.text)) return null;
  return parseAnswer(pRhs.text.replace(new RegExp(`(?<![\\\\a-zA-Z])${from}(?![a-zA-Z])`, 'g'), to));
}

function numberInProse(gold: string, pred: string): string | null {
  if (parseNumber(gold) === null || !isText(pred) || pred.length > 200) return null;
  const numbers = pred.match(/(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w.]*\d)/g) ?? [];
  return numbers.length === 1 ? (numbers[0] as string) : null;
}

/** An expression with no letters outside commands: a number, not a name or a variable. */
function isConstant(s: string): boolean {
  return !/[a-zA-Z]/.test(s.replace(/\\[a-zA-Z]+/g, '')) && /\d/.test(s);
}

/** A list whose every item equals the gold ("\frac12 \text{ or } 0.5", "2, 2" for a double root). */
function sameValueList(g: Answer, p: Answer, budget: Budget): Verdict | null {
  if (p.kind !== 'list' || p.items.length < 2 || g.kind === 'list' || g.kind === 'set') return null;
  const v = all(
    p.items.map((x) => () => compareAnswers(g, x, budget)),
    'same_value',
  );
  return v.equal === true ? v : null;
}

function scalarText(a: Answer): string | null {
  return a.kind === 'scalar' ? a.text : null;
}

function isInterval(a: Answer): boolean {
  return a.kind === 'tuple' && a.items.length === 2;
}

function flatMatrix(a: Answer): Answer[] | null {
  if (a.kind !== 'matrix') return null;
  const cols = a.rows[0]?.length ?? 0;
  if (a.rows.length === 1) return a.rows[0] as Answer[];
  if (cols === 1) return a.rows.map((r) => r[0] as Answer);
  return null;
}

/** Structural equivalence; the gold's shape decides what counts (order, brackets). */
export function compareAnswers(gIn: Answer, pIn: Answer, budget: Budget): Verdict {
  budget.check();
  const g = single(gIn);
  const p = single(pIn);

  // Equations: "x = 3" against "3", "y = 2x+1" against "2x - y + 1 = 0".
  if (g.kind === 'equation' || p.kind === 'equation') {
    if (g.kind === 'equation' && p.kind === 'equation') {
      if (g.assignment && p.assignment && compact(g.lhs) === compact(p.lhs)) {
        return compareAnswers(g.rhs, p.rhs, budget);
      }
      const renamed = g.assignment && p.assignment ? renamedDefinition(g.lhs, p.lhs, p.rhs) : null;
      if (renamed) return compareAnswers(g.rhs, renamed, budget);
      const gr = scalarText(g.rhs);
      const pr = scalarText(p.rhs);
      if (gr === null || pr === null) return F('equation');
      return compareEquations({ lhs: g.lhs, rhs: gr }, { lhs: p.lhs, rhs: pr }, budget);
    }
    if (g.kind === 'equation') {
      if (g.assignment) return compareAnswers(g.rhs, p, budget);
      return isConstant(g.lhs) ? compareAnswers(parseAnswer(g.lhs), p, budget) : F('equation');
    }
    // "\frac34 = 0.75": a value and its decimal; the exact value (the left side) decides.
    if (p.kind === 'equation' && !p.labelled && isConstant(p.lhs))
      return compareAnswers(g, parseAnswer(p.lhs), budget);
    // A labelled prediction ("PQ = 3", "\frac{XY}{YZ} = \frac13") against a bare gold: its value.
    if (p.kind === 'equation') return p.labelled ? compareAnswers(g, p.rhs, budget) : F('equation');
  }

  // Sets that exclude points ("x \\neq \\pm 5" against three open intervals): compared as sets.
  if (excludesPoints(g) || excludesPoints(p)) {
    const gs = realSet(g, budget);
    const ps = realSet(p, budget);
    if (gs !== null && ps !== null) return { equal: sameSet(gs, ps), reason: 'solution_set' };
    if (g.kind === 'excluded' && p.kind === 'excluded')
      return unordered(g.values, p.values, budget, 'excluded');
    return F('solution_set');
  }

  const repeated = sameValueList(g, p, budget);
  if (repeated) return repeated;

  switch (g.kind) {
    case 'scalar': {
      if (p.kind !== 'scalar') return F('shape');
      // A ratio against a fraction: "3:4" is 3/4 (two ratios still compare as written).
      const gr = ratioAsFraction(g.text);
      const pr = ratioAsFraction(p.text);
      if ((gr === null) !== (pr === null)) return compareScalars(gr ?? g.text, pr ?? p.text, budget);
      // Orderings of several quantities ("c < a < b") are equal only as written (both oriented "<").
      if (RELATION.test(g.text) && RELATION.test(p.text)) {
        return { equal: compact(g.text) === compact(p.text), reason: 'relation' };
      }
      return compareScalars(g.text, p.text, budget);
    }
    case 'tuple': {
      if (p.kind === 'tuple') {
        // Two items: an interval as much as a point, so the brackets must agree.
        if (isInterval(g) && (g.open !== p.open || g.close !== p.close)) return F('interval');
        return ordered(g.items, p.items, budget, isInterval(g) ? 'interval' : 'tuple');
      }
      if (p.kind === 'list') {
        // "(1, 2)" against "1, 2": the point, in order. A closed interval is not a list.
        if (isInterval(g) && (g.open !== '(' || g.close !== ')')) return F('interval');
        return ordered(g.items, p.items, budget, 'tuple');
      }
      const flat = flatMatrix(p);
      if (flat) return ordered(g.items, flat, budget, 'tuple');
      return F('shape');
    }
    case 'set':
    case 'list': {
      if (p.kind === 'set' || p.kind === 'list' || p.kind === 'tuple') {
        if (g.items.length > MAX_ITEMS || p.items.length > MAX_ITEMS)
          return { equal: null, reason: 'too_many' };
        return unordered(g.items, p.items, budget, g.kind);
      }
      // "x < -2 or x > 3" against a union of intervals.
      if (p.kind === 'union')
        return g.kind === 'list' ? unordered(g.items, p.parts, budget, 'union') : F('shape');
      // A single gold element against a scalar was unwrapped by single(); here sizes differ.
      return F(g.kind);
    }
    case 'union': {
      if (p.kind === 'list') return unordered(g.parts, p.items, budget, 'union');
      if (p.kind !== 'union') return F('union');
      return unordered(g.parts, p.parts, budget, 'union');
    }
    case 'matrix': {
      if (p.kind === 'matrix') {
        if (g.rows.length !== p.rows.length || g.rows.some((r, i) => r.length !== p.rows[i]?.length)) {
          return F('matrix');
        }
        return ordered(g.rows.flat(), p.rows.flat(), budget, 'matrix');
      }
      const flat = flatMatrix(g);
      if (flat && (p.kind === 'tuple' || p.kind === 'list')) return ordered(flat, p.items, budget, 'matrix');
      return F('matrix');
    }
  }
  return F('shape');
}

/**
 * Forms a gold gives as alternatives: "-1 < x \\leq 1 : (-1, 1]" (college_math writes both the
 * relation and the interval), "10\\cos 5^\\circ \\approx 9.962" (the exact value, or its stated
 * approximation). A prediction equal to any of them is right.
 */
function goldAlternatives(g: string): string[] {
  const colon = splitTopLevel(g, [':']);
  if (colon.length === 2) {
    const [left, right] = colon.map((x) => x.trim()) as [string, string];
    if (/^[[(]/.test(right) && /[)\]]$/.test(right) && /\\leq|\\geq|<|>|\\neq|\\in/.test(left))
      return [left, right];
  }
  const approx = splitTopLevel(g, ['\\approx']);
  if (approx.length === 2 && (approx[1] as string).trim() !== '') return [g, (approx[1] as string).trim()];
  return [g];
}

function decide(gold: string, pred: string, budget: Budget): Verdict {
  const g0 = normalize(answerPart(gold));
  const p = normalize(answerPart(pred));
  const alternatives = g0 === '' ? [g0] : goldAlternatives(g0);
  if (alternatives.length > 1) {
    let undecided: Verdict | null = null;
    for (const alt of alternatives) {
      const v = decideOne(alt, p, budget);
      if (v.equal === true) return v;
      if (v.equal === null) undecided ??= v;
    }
    return undecided ?? decideOne(alternatives[0] as string, p, budget);
  }
  return decideOne(g0, p, budget);
}

function decideOne(g: string, p: string, budget: Budget): Verdict {
  if (g === '') return { equal: null, reason: 'empty_gold' };
  if (p === '') return F('empty');
  if (compact(g) === compact(p)) return T('exact');

  const refusal = guardAnswer(g) ?? guardAnswer(p);
  if (refusal) return { equal: null, reason: refusal };

  // Several choices ("A, D"): the same letters in any order.
  const letters = choiceLetters(plain(g));
  if (letters !== null) return { equal: choiceLetters(plain(p)) === letters, reason: 'choice' };
  const letter = goldChoice(plain(g));
  if (letter !== null) {
    const chosen = predChoice(plain(p));
    return { equal: chosen === letter, reason: 'choice' };
  }
  // "Each group has 145 bananas." for a numeric gold: the one number the sentence states.
  const stated = numberInProse(plain(g), plain(p));
  if (stated !== null) return compareAnswers(parseAnswer(g), parseAnswer(stated), budget);
  // "Yes, this is a subspace.": a verdict and its reason, not a list.
  const YES_NO = /^(?:yes|no)\s*[,.;:!]/i;
  if (YES_NO.test(plain(g)) || YES_NO.test(plain(p)))
    return { equal: textEqual(plain(g), plain(p)), reason: 'text' };
  budget.check();
  return compareAnswers(parseAnswer(g), parseAnswer(p), budget);
}

// Comparisons that run every stage once, so the first real comparison in a process is not
// charged for compiling the parser and the evaluator.
const WARM_UP: Array<[string, string]> = [
  ['x^2+2x+1', '(x+1)^2'],
  ['\\frac{\\sqrt{3}}{2}', '\\sqrt{3}/2'],
  ['y = 2x+1', '2x - y + 1 = 0'],
  ['\\{1, 2\\}', '2, 1'],
  ['[1, \\infty)', 'x \\geq 1'],
  ['\\begin{pmatrix}1\\\\2\\end{pmatrix}', '(1, 2)'],
  ['6-5i', '-5i+6'],
  ['sqrt(2)/2', '\\frac{1}{\\sqrt 2}'],
  ['10\\%', '0.1'],
  ['\\text{(A)}', 'A'],
];
let warm = false;

/** Compiles every stage once (a few hundred ms, once per process); isEquivalent calls it. */
export function warmUp(): void {
  if (warm) return;
  warm = true;
  for (const [g, p] of WARM_UP) {
    const budget = new Budget(60_000);
    try {
      decide(g, p, budget);
    } catch {
      // Warm-up only; failures surface in real comparisons.
    }
  }
}

/**
 * Whether a predicted final answer equals the gold one. Synchronous; bounded by
 * opts.timeoutMs (default 100 ms): past it, or on input the guards refuse, the answer is
 * undecided (equal: null). Reward is 1 only for equal === true.
 */
export function isEquivalent(goldIn: string, predIn: string, opts: EquivalenceOptions = {}): Verdict {
  // Callers reading Parquet or JSON may hand over numbers (AMC golds are floats).
  const gold = typeof goldIn === 'string' ? goldIn : String(goldIn);
  const pred = typeof predIn === 'string' ? predIn : String(predIn);
  warmUp();
  // Whole-string limit before anything else touches the text (even normalization is linear).
  if (gold.length > RAW_LIMIT || pred.length > RAW_LIMIT) {
    return gold.trim() === pred.trim() ? T('exact') : { equal: null, reason: 'too_long' };
  }
  const budget = new Budget(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    return decide(gold, pred, budget);
  } catch (e) {
    if (e instanceof OutOfTime) return { equal: null, reason: 'timeout' };
    if (e instanceof Refused) return { equal: null, reason: e.message };
    if (e instanceof RangeError) return { equal: null, reason: 'too_deep' };
    // A bug here must not take a rollout worker down: undecided, with the message.
    return { equal: null, reason: `error: ${e instanceof Error ? e.message : String(e)}` };
  }
}
