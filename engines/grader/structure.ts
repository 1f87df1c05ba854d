// The shape of a normalized answer: a scalar, or a tuple/interval, set, unordered list, union of
// intervals, matrix, or equation whose parts are themselves answers. Comparison (compare.ts)
// walks two shapes side by side and sends scalars to scalar.ts.
import { parseNumber } from './number';
import { matchBrace, outerGroup, splitTopLevel } from './text';
import { stripUnits } from './units';

export type Answer =
  | { kind: 'scalar'; text: string }
  /** Parenthesised or bracketed items; with two items also an interval (brackets matter). */
  | { kind: 'tuple'; open: string; close: string; items: Answer[] }
  | { kind: 'set'; items: Answer[] }
  /** Bare enumeration "a, b", "a and b", or the two values of \pm: order does not matter. */
  | { kind: 'list'; items: Answer[] }
  | { kind: 'union'; parts: Answer[] }
  | { kind: 'matrix'; rows: Answer[][] }
  /**
   * lhs = rhs; assignment when lhs is a name (x, f(x), a_1, \theta, (a, b)); labelled when lhs
   * only names what the value is (PQ, A:B, \frac{XY}{YZ}, x + y, f(3)): a prediction so written
   * is compared by its value against a bare gold.
   */
  | { kind: 'equation'; lhs: string; rhs: Answer; assignment: boolean; labelled: boolean }
  /** "x \\neq a, b": every real but these values. */
  | { kind: 'excluded'; name: string; values: Answer[] };

const MAX_DEPTH = 6;
export const MAX_ITEMS = 64;

const NAME = /^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?[a-zA-Z0-9\\ ]+\}?|'+)?$/;
const FUNCTION_NAME = /^[a-zA-Z](?:_\{?[a-zA-Z0-9]+\}?)?(?:\^\{?-1\}?|'+)?\s*\([^()]*\)$/;

export function isName(s: string): boolean {
  const t = s.trim();
  if (t.startsWith('\\') && /^\\(?:pi|infty|emptyset)$/.test(t)) return false;
  if (NAME.test(t) || FUNCTION_NAME.test(t)) return true;
  // A tuple of names: "(a, b) = (4, 1)".
  const group = outerGroup(t);
  if (group?.open !== '(') return false;
  const names = splitTopLevel(group.inner, [',']);
  return names.length > 1 && names.every((n) => NAME.test(n.trim()));
}

const CALL = /^[a-zA-Z](?:_\{?[a-zA-Z0-9]+\}?)?\s*\([^()]*\)$/;

/**
 * A left side that names the quantity rather than computing it: letters, commands and
 * subscripts with no number outside a subscript or a call ("PQ", "A:B", "\frac{XY}{YZ}",
 * "m\angle ABC", "x + y", "a_1 + a_2", "f(3)"). "2x" or "x^2" compute something.
 */
export function isLabel(s: string): boolean {
  const t = s.trim();
  if (t === '' || t.length > 80) return false;
  if (isName(t) || CALL.test(t)) return true;
  const bare = t
    .replace(/_\{[^{}]*\}/g, '')
    .replace(
      /\\(?:frac|angle|overline|measuredangle|triangle|widehat|overarc|text|operatorname)(?![a-zA-Z])/g,
      '',
    )
    .replace(/\\[a-zA-Z]+/g, 'a');
  return /[a-zA-Z]/.test(bare) && !/[0-9=<>|]/.test(bare) && !/\^/.test(bare);
}

/** "x = \frac13 \approx 0.33" → "x = \frac13"; "\approx 0.33" → "0.33": the exact value decides. */
function dropApproximation(s: string): string {
  if (!s.includes('\\approx')) return s;
  const parts = splitTopLevel(s, ['\\approx']).map((p) => p.trim());
  if (parts.length < 2) return s;
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (first === '') return last;
  if (isName(first)) return `${first} = ${last}`;
  return first;
}

const MATRIX_RE = /^\\begin\{([pbB]?matrix|smallmatrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}$/s;

// A constant factor before a matrix: "\\frac{1}{13}\\begin{pmatrix} 12 \\\\ -18 \\end{pmatrix}".
const SCALED_MATRIX =
  /^([^\\]*?|\\frac\{[^{}]*\}\{[^{}]*\}|\\sqrt\{[^{}]*\})\s*(?:\\cdot\s*)?(\\begin\{[pbB]?matrix\}.*)$/s;

function parseMatrix(s: string, depth: number): Answer | null {
  const scaled = SCALED_MATRIX.exec(s);
  const factor = scaled?.[1]?.trim() ?? '';
  if (scaled && factor !== '' && !/[=,]/.test(factor)) {
    const inner = parseMatrix(scaled[2] as string, depth);
    if (inner?.kind !== 'matrix') return null;
    const scale = (a: Answer): Answer =>
      a.kind === 'scalar' ? { kind: 'scalar', text: `(${factor})\\cdot(${a.text})` } : a;
    return { kind: 'matrix', rows: inner.rows.map((r) => r.map(scale)) };
  }
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

const REALS =
  /^(?:\\mathbb\s*\{?R\}?|\\R|(?:\\text\{\s*)?(?:all\s+)?real\s+numbers(?:\s*\})?|(?:\\text\{\s*)?all\s+reals(?:\s*\})?|\(-\\infty,\s*\+\\infty\))$/i;
const NO_SOLUTION = /^(?:\\text\{\s*)?(?:there\s+(?:is|are)\s+)?no\s+(?:real\s+)?solutions?(?:\s*\})?$/i;

const RELATION_SPLIT = /(\\leq|\\geq|<|>)/;
const FLIP: Record<string, string> = { '<': '>', '>': '<', '\\leq': '\\geq', '\\geq': '\\leq' };

/** "|x| \\geq 2" is x \\leq -2 or x \\geq 2; "|x| < 2" is -2 < x < 2. */
function absoluteValue(terms: string[], ops: string[]): Answer | null {
  if (terms.length !== 2) return null;
  const at = terms.findIndex((t) => /^\|\s*[^|]+\s*\|$/.test(t) && isName(t.slice(1, -1)));
  if (at < 0) return null;
  const bound = terms[1 - at] as string;
  if (bound === '' || isName(bound)) return null;
  // Orient as "|x| op bound".
  const op = at === 0 ? (ops[0] as string) : (FLIP[ops[0] as string] as string);
  const strict = op === '<' || op === '>';
  const scalar = (text: string): Answer => ({ kind: 'scalar', text });
  const neg = scalar(`-(${bound})`);
  if (op === '<' || op === '\\leq') {
    return {
      kind: 'tuple',
      open: strict ? '(' : '[',
      close: strict ? ')' : ']',
      items: [neg, scalar(bound)],
    };
  }
  return {
    kind: 'union',
    parts: [
      { kind: 'tuple', open: '(', close: strict ? ')' : ']', items: [scalar('-\\infty'), neg] },
      { kind: 'tuple', open: strict ? '(' : '[', close: ')', items: [scalar(bound), scalar('\\infty')] },
    ],
  };
}

/** "-y", "2x", "-3t": the variable times a numeric coefficient other than 1. */
function scaledName(t: string): { name: string; coef: string; negative: boolean } | null {
  if (t.length > 40) return null;
  const m = /^(-)?\s*(\d+(?:\.\d+)?)?\s*\\?(?:cdot)?\s*([a-zA-Z]|\\[a-zA-Z]+)$/.exec(t);
  if (!m || (m[1] === undefined && m[2] === undefined) || !isName(m[3] as string)) return null;
  return { name: m[3] as string, coef: m[2] ?? '1', negative: m[1] === '-' };
}

/** Divides every other term of a relation by the variable's coefficient (flipping for a negative one). */
function solveForName(
  terms: string[],
  ops: string[],
  varAt: number,
): { terms: string[]; ops: string[] } | null {
  const scaled = scaledName(terms[varAt] as string);
  if (scaled === null) return null;
  const { coef, negative } = scaled;
  const divide = (t: string) => {
    const q = coef === '1' ? `(${t})` : `\\frac{${t}}{${coef}}`;
    return negative ? `-${q}` : q;
  };
  return {
    terms: terms.map((t, i) => (i === varAt ? scaled.name : divide(t))),
    ops: negative ? ops.map((o) => FLIP[o] as string) : ops,
  };
}

/** "a < x \leq b", "x > 2", "\{x | x \geq 1\}" → an interval over the one variable. */
function parseInequality(s: string): Answer | null {
  const pieces = s.split(RELATION_SPLIT).map((p) => p.trim());
  if (pieces.length !== 3 && pieces.length !== 5) return null;
  let terms = pieces.filter((_, i) => i % 2 === 0);
  let ops = pieces.filter((_, i) => i % 2 === 1);
  const abs = absoluteValue(terms, ops);
  if (abs) return abs;
  let varAt = terms.findIndex((t) => isName(t));
  if (varAt < 0) {
    // "-y < -3" is "y > 3".
    varAt = terms.findIndex((t) => scaledName(t) !== null);
    if (varAt < 0) return null;
    const solved = solveForName(terms, ops, varAt);
    if (solved === null) return null;
    ({ terms, ops } = solved);
  }
  if (terms.some((t, i) => i !== varAt && (t === '' || isName(t)))) return null;
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

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** "(0, \\pm 2)": the tuples it stands for, one per choice of signs (at most 16). */
function expandTuplePlusMinus(items: string[]): string[][] | null {
  if (!items.some((x) => /\\(?:pm|mp)(?![a-zA-Z])/.test(x))) return null;
  let out: string[][] = [[]];
  for (const item of items) {
    const pm = expandPlusMinus(item);
    const choices = pm ?? [item];
    out = out.flatMap((prefix) => choices.map((c) => [...prefix, c]));
    if (out.length > 16) return null;
  }
  return out;
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
  if (REALS.test(s)) s = '(-\\infty, \\infty)';
  // "no solution", \emptyset: the empty set.
  if (NO_SOLUTION.test(s)) return { kind: 'set', items: [] };
  // "\mathbb{R} \setminus \{0\}", "\mathbb{R} - \{1, 2\}": every real but these.
  const minus = /^(?:\\mathbb\s*\{?R\}?|\\R)\s*(?:\\setminus|\\backslash|-)\s*\\\{(.+)\\\}$/.exec(s);
  if (minus) {
    const values = splitTopLevel(minus[1] as string, [',']).map((v) => parseAnswer(v.trim(), depth + 1));
    if (values.every((v) => v.kind === 'scalar')) return { kind: 'excluded', name: 'x', values };
  }

  const matrix = parseMatrix(s, depth);
  if (matrix) return matrix;

  // "x \in [1, 2)": the variable adds nothing.
  const member = /^(?:[a-zA-Z]|\\[a-zA-Z]+)\s*\\in\s*(.+)$/.exec(s);
  if (member) return parseAnswer(member[1] as string, depth + 1);

  // "x \\neq \\pm 5", "x \\neq -1, 4": the values are excluded.
  const ne = /^((?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{[^{}]*\})?)\s*\\neq\s*([^<>=]+)$/.exec(s);
  if (ne && !/\\neq|\\leq|\\geq/.test(ne[2] as string)) {
    const values = parseAnswer(ne[2] as string, depth + 1);
    const items = values.kind === 'list' || values.kind === 'set' ? values.items : [values];
    if (items.every((v) => v.kind === 'scalar'))
      return { kind: 'excluded', name: ne[1] as string, values: items };
  }

  // A number with thousands separators is a number, not a list ("1,000").
  if (parseNumber(s) || parseNumber(stripUnits(s))) return scalar;

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
        labelled: true,
      };
    }
    return { kind: 'list', items: flattenLists(parsed) };
  }

  const exact = dropApproximation(s);
  if (exact !== s) return parseAnswer(exact, depth + 1);
  const eq = splitTopLevel(s, ['=']);
  // "x = y = 4": both names are 4.
  if (eq.length > 2 && eq.slice(0, -1).every((n) => isName(n))) {
    const value = (eq[eq.length - 1] as string).trim();
    return {
      kind: 'list',
      items: eq.slice(0, -1).map((n) => parseAnswer(`${n.trim()} = ${value}`, depth + 1)),
    };
  }
  if (eq.length > 1) {
    const lhs = (eq[0] as string).trim();
    const rhs = (eq[eq.length - 1] as string).trim();
    if (lhs !== '' && rhs !== '') {
      return {
        kind: 'equation',
        lhs,
        rhs: parseAnswer(rhs, depth + 1),
        assignment: isName(lhs),
        labelled: isLabel(lhs),
      };
    }
    return scalar;
  }

  // "{2, 5}": a set written with TeX's grouping braces.
  if (s.startsWith('{') && matchBrace(s, 0) === s.length - 1) {
    const inner = s.slice(1, -1);
    if (splitTopLevel(inner, [',']).length > 1) return parseAnswer(`\\{${inner}\\}`, depth + 1);
    return parseAnswer(inner, depth + 1);
  }

  const group = outerGroup(s);
  if (group) {
    // Set-builder notation: \{x | x > 1\}, \{x : x > 1\}.
    if (group.open === '{') {
      const builder = /^\s*([a-zA-Z]|\\[a-zA-Z]+)\s*(?:\\in\s*\\mathbb\s*\{?[RZNQ]\}?\s*)?[|:]\s*(.+)$/.exec(
        group.inner,
      );
      if (builder) {
        const cond = builder[2] as string;
        // "\{x | x = 3k, k \in \mathbb{Z}\}" is "\{3k | k \in \mathbb{Z}\}": compared as written.
        const element = new RegExp(`^${escapeRegExp(builder[1] as string)}\\s*=\\s*([^,]+),\\s*(.+)$`).exec(
          cond,
        );
        if (element)
          return {
            kind: 'scalar',
            text: `\\{${(element[1] as string).trim()} | ${(element[2] as string).trim()}\\}`,
          };
        if (/\\in\s*\\mathbb/.test(cond)) return scalar;
        return parseAnswer(cond, depth + 1);
      }
      // "\{3k \mid k \in \mathbb{Z}\}": an element form, compared as written.
      const form = /^(.+?)\s*[|:]\s*(.+\\in\s*\\mathbb.*)$/.exec(group.inner);
      if (form)
        return {
          kind: 'scalar',
          text: `\\{${(form[1] as string).trim()} | ${(form[2] as string).trim()}\\}`,
        };
    }
    const inner = splitTopLevel(group.inner, [',', ';'])
      .map((x) => x.trim())
      .filter((x) => x !== '');
    if (inner.length > MAX_ITEMS) return scalar;
    if (group.open === '{')
      return { kind: 'set', items: flattenLists(inner.map((x) => parseAnswer(x, depth + 1))) };
    const signs = group.open === '(' && inner.length >= 2 ? expandTuplePlusMinus(inner) : null;
    if (signs) {
      return {
        kind: 'list',
        items: signs.map((t) => ({
          kind: 'tuple' as const,
          open: '(',
          close: ')',
          items: t.map((x) => parseAnswer(x, depth + 1)),
        })),
      };
    }
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
    return { kind: 'scalar', text: orientRelation(s) };
  }
  return scalar;
}

/** An ordering of several quantities written with ">" read right to left: "b > a > c" is "c < a < b". */
function orientRelation(s: string): string {
  const pieces = s.split(RELATION_SPLIT).map((p) => p.trim());
  const ops = pieces.filter((_, i) => i % 2 === 1);
  if (ops.length === 0 || !ops.every((o) => o === '>' || o === '\\geq')) return s;
  return pieces
    .reverse()
    .map((p, i) => (i % 2 === 1 ? (FLIP[p] as string) : p))
    .join(' ');
}
