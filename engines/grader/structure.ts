// The shape of a normalized answer: a scalar, or a tuple/interval, set, unordered list, union of
// intervals, matrix, or equation whose parts are themselves answers. Comparison (compare.ts)
// walks two shapes side by side and sends scalars to scalar.ts.
import { parseNumber } from './number';
import { outerGroup, splitTopLevel } from './text';

export type Answer =
  | { kind: 'scalar'; text: string }
  /** Parenthesised or bracketed items; with two items also an interval (brackets matter). */
  | { kind: 'tuple'; open: string; close: string; items: Answer[] }
  | { kind: 'set'; items: Answer[] }
  /** Bare enumeration "a, b", "a and b", or the two values of \pm: order does not matter. */
  | { kind: 'list'; items: Answer[] }
  | { kind: 'union'; parts: Answer[] }
  | { kind: 'matrix'; rows: Answer[][] }
  /** lhs = rhs; assignment when lhs is a name (x, f(x), a_1, \theta). */
  | { kind: 'equation'; lhs: string; rhs: Answer; assignment: boolean };

const MAX_DEPTH = 6;
export const MAX_ITEMS = 64;

const NAME = /^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?[a-zA-Z0-9\\ ]+\}?|'+)?$/;
const FUNCTION_NAME = /^[a-zA-Z](?:_\{?[a-zA-Z0-9]+\}?)?\s*\([^()]*\)$/;

export function isName(s: string): boolean {
  const t = s.trim();
  if (t.startsWith('\\') && /^\\(?:pi|infty|emptyset)$/.test(t)) return false;
  return NAME.test(t) || FUNCTION_NAME.test(t);
}

const MATRIX_RE = /^\\begin\{([pbB]?matrix|smallmatrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}$/s;

function parseMatrix(s: string, depth: number): Answer | null {
  const m = MATRIX_RE.exec(s);
  if (!m) return null;
  const body = m[2] as string;
  const rows = splitTopLevel(body, ['\\\\'])
    .map((r) => r.trim())
    .filter((r) => r !== '' && r !== '\\hline');
  if (rows.length === 0 || rows.length > MAX_ITEMS) return null;
  const cells = rows.map((r) => splitTopLevel(r, ['&']).map((c) => parseAnswer(c.trim(), depth + 1)));
  return { kind: 'matrix', rows: cells };
}

const RELATION_SPLIT = /(\\leq|\\geq|<|>)/;

/** "a < x \leq b", "x > 2", "\{x | x \geq 1\}" → an interval over the one variable. */
function parseInequality(s: string): Answer | null {
  const pieces = s.split(RELATION_SPLIT).map((p) => p.trim());
  if (pieces.length !== 3 && pieces.length !== 5) return null;
  const terms = pieces.filter((_, i) => i % 2 === 0);
  const ops = pieces.filter((_, i) => i % 2 === 1);
  const varAt = terms.findIndex((t) => isName(t));
  if (varAt < 0 || terms.some((t, i) => i !== varAt && (t === '' || isName(t)))) return null;
  // Orient every relation as "left < right".
  const less = ops.every((o) => o === '<' || o === '\\leq');
  const greater = ops.every((o) => o === '>' || o === '\\geq');
  if (!less && !greater) return null;
  const ordered = less ? terms : [...terms].reverse();
  const strict = (less ? ops : [...ops].reverse()).map((o) => o === '<' || o === '>');
  const v = less ? varAt : terms.length - 1 - varAt;
  const scalar = (text: string): Answer => ({ kind: 'scalar', text });
  if (ordered.length === 2) {
    if (v === 1) {
      return {
        kind: 'tuple',
        open: strict[0] ? '(' : '[',
        close: ')',
        items: [scalar(ordered[0] as string), scalar('\\infty')],
      };
    }
    return {
      kind: 'tuple',
      open: '(',
      close: strict[0] ? ')' : ']',
      items: [scalar('-\\infty'), scalar(ordered[1] as string)],
    };
  }
  if (v !== 1) return null;
  return {
    kind: 'tuple',
    open: strict[0] ? '(' : '[',
    close: strict[1] ? ')' : ']',
    items: [scalar(ordered[0] as string), scalar(ordered[2] as string)],
  };
}

function flattenLists(items: Answer[]): Answer[] {
  return items.flatMap((a) => (a.kind === 'list' ? a.items : [a]));
}

/** Expands one top-level \pm / \mp into the two values it stands for. */
function expandPlusMinus(s: string): string[] | null {
  const m = /\\(pm|mp)(?![a-zA-Z])/.exec(s);
  if (!m) return null;
  if (/\\(pm|mp)(?![a-zA-Z])/.test(s.slice(m.index + 3))) return null;
  const before = s.slice(0, m.index);
  const after = s.slice(m.index + 3);
  const plus = m[1] === 'pm' ? '+' : '-';
  const minus = m[1] === 'pm' ? '-' : '+';
  return [`${before}${plus}${after}`, `${before}${minus}${after}`];
}

/** Parses a normalized answer into its shape. Never throws; unknown shapes are scalars. */
export function parseAnswer(input: string, depth = 0): Answer {
  let s = input.trim();
  const scalar: Answer = { kind: 'scalar', text: s };
  if (depth > MAX_DEPTH || s === '') return scalar;
  s = s.replace(/\\text\{\s*(and|or)\s*\}/g, ' $1 ');
  // The reals as an interval.
  if (/^(?:\\mathbb\s*\{?R\}?|\\R|\\text\{\s*all real numbers\s*\}|all real numbers)$/.test(s)) {
    s = '(-\\infty, \\infty)';
  }

  const matrix = parseMatrix(s, depth);
  if (matrix) return matrix;

  // "x \in [1, 2)": the variable adds nothing.
  const member = /^(?:[a-zA-Z]|\\[a-zA-Z]+)\s*\\in\s*(.+)$/.exec(s);
  if (member) return parseAnswer(member[1] as string, depth + 1);

  // A number with thousands separators is a number, not a list ("1,000").
  if (parseNumber(s)) return scalar;

  const union = splitTopLevel(s, ['\\cup']);
  if (union.length > 1) return { kind: 'union', parts: union.map((p) => parseAnswer(p, depth + 1)) };

  const items = splitTopLevel(s, [',', ';', ' and ', ' or '])
    .map((x) => x.trim())
    .filter((x) => x !== '');
  if (items.length > MAX_ITEMS) return scalar;
  if (items.length > 1) {
    const parsed = items.map((x) => parseAnswer(x, depth + 1));
    // "x = 1, 2, 3": an assignment whose right side is the whole list.
    const [first, ...rest] = parsed;
    if (first?.kind === 'equation' && first.assignment && rest.every((r) => r.kind !== 'equation')) {
      return {
        kind: 'equation',
        lhs: first.lhs,
        rhs: { kind: 'list', items: flattenLists([first.rhs, ...rest]) },
        assignment: true,
      };
    }
    return { kind: 'list', items: flattenLists(parsed) };
  }

  const eq = splitTopLevel(s, ['=']);
  if (eq.length > 1) {
    const lhs = (eq[0] as string).trim();
    const rhs = (eq[eq.length - 1] as string).trim();
    if (lhs !== '' && rhs !== '') {
      return { kind: 'equation', lhs, rhs: parseAnswer(rhs, depth + 1), assignment: isName(lhs) };
    }
    return scalar;
  }

  const group = outerGroup(s);
  if (group) {
    // Set-builder notation: \{x | x > 1\}, \{x : x > 1\}.
    if (group.open === '{') {
      const builder = /^\s*(?:[a-zA-Z]|\\[a-zA-Z]+)\s*[|:]\s*(.+)$/.exec(group.inner);
      if (builder) return parseAnswer(builder[1] as string, depth + 1);
    }
    const inner = splitTopLevel(group.inner, [',', ';'])
      .map((x) => x.trim())
      .filter((x) => x !== '');
    if (inner.length > MAX_ITEMS) return scalar;
    if (group.open === '{')
      return { kind: 'set', items: flattenLists(inner.map((x) => parseAnswer(x, depth + 1))) };
    if (inner.length >= 2) {
      return {
        kind: 'tuple',
        open: group.open,
        close: group.close,
        items: inner.map((x) => parseAnswer(x, depth + 1)),
      };
    }
    if (group.open === '(' && group.close === ')' && inner.length === 1)
      return parseAnswer(inner[0] as string, depth + 1);
    if (group.open === '[' && group.close === ']' && inner.length === 1) {
      return { kind: 'list', items: [parseAnswer(inner[0] as string, depth + 1)] };
    }
  }

  if (/\\emptyset/.test(s) && s.replace(/\\emptyset/, '').trim() === '') return { kind: 'set', items: [] };

  const pm = expandPlusMinus(s);
  if (pm) return { kind: 'list', items: pm.map((x) => parseAnswer(x, depth + 1)) };

  if (RELATION_SPLIT.test(s)) {
    const interval = parseInequality(s);
    if (interval) return interval;
  }
  return scalar;
}
