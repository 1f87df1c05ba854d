// String-level normalization of an answer before any parsing: strips math-mode wrappers, sizing
// and spacing commands, synonyms, degree signs and currency; unifies text commands into
// \text{…} so units and prose can be recognised later. Every step is a linear pass or a regex
// without nested quantifiers: this runs on untrusted model output.
import { matchBrace } from './text';
import { MATH_WORDS } from './units';

const UNICODE: Array<[RegExp, string]> = [
  [/[\u2212\u2012\u2013\u2014\uFE63\uFF0D]/g, '-'],
  [/\u00D7/g, '\\times '],
  [/[\u00B7\u22C5]/g, '\\cdot '],
  [/\u00F7/g, '\\div '],
  [/\u03C0/g, '\\pi '],
  [/\u221E/g, '\\infty '],
  [/\u221A/g, '\\sqrt '],
  [/\u00B0/g, '^\\circ '],
  [/\u2264/g, '\\leq '],
  [/\u2265/g, '\\geq '],
  [/\u2260/g, '\\neq '],
  [/\u222A/g, '\\cup '],
  [/\u2229/g, '\\cap '],
  [/\u2208/g, '\\in '],
  [/\u2205/g, '\\emptyset '],
  [/\u2248/g, '\\approx '],
  [/\u00B2/g, '^2'],
  [/\u00B3/g, '^3'],
  [/\u2213/g, '\\mp '],
  [/\u00B1/g, '\\pm '],
  [/\u20AC/g, ' euros'],
  [/\u00A3/g, ' pounds'],
  [/[\u00A0\u2009\u202F\u2002\u2003]/g, ' '],
  [/\uFF0C/g, ','],
];

// Commands whose argument is prose or a unit: unified into \text{…}.
const TEXT_COMMANDS = ['text', 'textrm', 'textup', 'textnormal', 'mathrm', 'mbox', 'rm', 'textsf', 'mathsf'];
// Commands that only change the look of their argument: the argument is kept, the wrapper dropped.
const STYLE_COMMANDS = [
  'textbf',
  'textit',
  'mathbf',
  'mathit',
  'boldsymbol',
  'bm',
  'emph',
  'mathnormal',
  'texttt',
  'mathtt',
  'underline',
  'overline_never',
];

const ROW = '\uE000';
const ROW_RE = /\uE000/g;

const SIZING =
  /\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|bigg|Bigg|big|Big|middle)(?![a-zA-Z])\s*/g;

const TRIG_DEGREES =
  /\\(sin|cos|tan|cot|sec|csc)\s*\(?\s*(\d+(?:\.\d+)?)\s*\^\s*(?:\{\s*\\circ\s*\}|\\circ(?![a-zA-Z]))\s*\)?/g;
// A currency code or symbol written before the amount ("USD 18", "Rs. 250").
const CURRENCY_PREFIX = /^(?:USD|US\$|EUR|GBP|INR|Rs\.?|CAD|AUD)\s*(?=[-\d.])/i;

/** Replaces text-like commands by \text{…} and drops style wrappers, in one linear pass. */
function rewriteCommands(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  // For each open brace: what its closing brace becomes.
  const closers: string[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\') {
      let j = i + 1;
      while (j < s.length && /[a-zA-Z]/.test(s[j] as string)) j++;
      const name = s.slice(i + 1, j);
      let k = j;
      while (s[k] === ' ') k++;
      if (name && s[k] === '{' && (TEXT_COMMANDS.includes(name) || STYLE_COMMANDS.includes(name))) {
        // A style command around a word ("\textbf{meters}") is a unit or prose, like \text.
        if (TEXT_COMMANDS.includes(name) || isWordGroup(s, k)) {
          out += '\\text{';
          closers.push('}');
        } else {
          out += '{';
          closers.push('}');
        }
        i = k;
        continue;
      }
      if (!name) {
        // Escaped single character: copy both.
        out += s.slice(i, i + 2);
        i++;
        continue;
      }
      out += s.slice(i, j);
      i = j - 1;
      continue;
    }
    if (c === '{') {
      closers.push('}');
      out += c;
    } else if (c === '}') {
      out += closers.pop() ?? '}';
    } else out += c;
  }
  return out;
}

function isWordGroup(s: string, open: number): boolean {
  // A short look ahead only: this runs once per style command on untrusted text.
  const close = s.indexOf('}', open);
  return close > open + 2 && close - open < 40 && /^\s*[a-zA-Z][a-zA-Z.\s]*$/.test(s.slice(open + 1, close));
}

// Commands whose arguments may be written without braces in TeX: \frac34, \sqrt5, \frac{\sqrt3}2.
const SHORTHAND_ARGS: Record<string, number> = { frac: 2, sqrt: 1, binom: 2 };
const SHORTHAND = /\\(?:frac|sqrt|binom)(?![a-zA-Z])/;

/** Braces every unbraced argument of \frac, \sqrt and \binom (one token each, as TeX reads them). */
function braceArguments(s: string, depth = 0): string {
  if (!SHORTHAND.test(s) || depth > 64) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    let j = i + 1;
    while (j < s.length && /[a-zA-Z]/.test(s[j] as string)) j++;
    if (j === i + 1) j = Math.min(s.length, i + 2);
    const name = s.slice(i + 1, j);
    const n = SHORTHAND_ARGS[name];
    out += s.slice(i, j);
    i = j;
    if (n === undefined) continue;
    if (name === 'sqrt' && s[i] === '[') {
      const close = s.indexOf(']', i);
      if (close < 0) continue;
      out += s.slice(i, close + 1);
      i = close + 1;
    }
    for (let a = 0; a < n; a++) {
      let k = i;
      while (s[k] === ' ') k++;
      if (k >= s.length) break;
      if (s[k] === '{') {
        const e = matchBrace(s, k);
        if (e < 0) break;
        out += `{${braceArguments(s.slice(k + 1, e), depth + 1)}}`;
        i = e + 1;
        continue;
      }
      let end = k + 1;
      if (s[k] === '\\') {
        while (end < s.length && /[a-zA-Z]/.test(s[end] as string)) end++;
        if (end === k + 1) end = Math.min(s.length, k + 2);
      }
      out += `{${s.slice(k, end)}}`;
      i = end;
    }
  }
  return out;
}

/** Removes a \boxed{…} / \fbox{…} wrapper around the whole string. */
function unbox(s: string): string {
  for (const cmd of ['\\boxed', '\\fbox']) {
    if (s.startsWith(cmd)) {
      const open = s.indexOf('{', cmd.length);
      if (open >= 0 && s.slice(cmd.length, open).trim() === '') {
        const close = matchBrace(s, open);
        if (close === s.length - 1) return s.slice(open + 1, close).trim();
      }
    }
  }
  return s;
}

/** \binom{a}{b} → a!/(b!(a-b)!) so the LaTeX parser (which lacks \binom) can evaluate it. */
function expandBinom(s: string): string {
  if (!s.includes('\\binom')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const at = s.indexOf('\\binom', i);
    if (at < 0) break;
    out += s.slice(i, at);
    let p = at + 6;
    const args: string[] = [];
    for (let n = 0; n < 2; n++) {
      while (s[p] === ' ') p++;
      if (s[p] === '{') {
        const e = matchBrace(s, p);
        if (e < 0) break;
        args.push(s.slice(p + 1, e));
        p = e + 1;
      } else if (p < s.length) {
        args.push(s[p] as string);
        p++;
      }
    }
    if (args.length !== 2) {
      out += '\\binom';
      i = at + 6;
      continue;
    }
    const [a, b] = args as [string, string];
    out += `\\frac{(${a})!}{(${b})!((${a})-(${b}))!}`;
    i = p;
  }
  return out + s.slice(i);
}

/**
 * Canonical string form of an answer. Idempotent. Keeps \text{…} groups (units and prose are
 * recognised from them later); use plain() for a form without them.
 */
export function normalize(raw: string): string {
  let s = raw.trim();
  if (s === '') return s;
  // Protect the row separator \\ from the single-backslash rules below.
  s = s.replace(/\\\\/g, ROW);
  for (const [re, to] of UNICODE) s = s.replace(re, to);
  s = s.replace(/\\\$/g, ' ').replace(/\$/g, ' ');
  s = s.trim().replace(CURRENCY_PREFIX, '');
  s = s.replace(/\\[()[\]]/g, ' ');
  s = unbox(s.trim());
  s = s.replace(/\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits)(?![a-zA-Z])/g, ' ');
  s = s.replace(/\\(?:left|right)\.\s*/g, ' ');
  s = s.replace(SIZING, '');
  s = s.replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac').replace(/\\[dt]binom(?![a-zA-Z])/g, '\\binom');
  s = braceArguments(s);
  // Thousands separators written as ",\!" or "{,}" in LaTeX.
  s = s.replace(/,\s*\\!\s*/g, ',').replace(/\{,\}/g, ',');
  s = s.replace(/\\!/g, '');
  s = s.replace(/\\(?:quad|qquad|enspace|thinspace|medspace|thickspace|hfill)(?![a-zA-Z])/g, ' ');
  s = s.replace(/\\hspace\*?\{[^{}]*\}/g, ' ');
  s = s.replace(/\\[,:;> ]/g, ' ').replace(/~/g, ' ');
  s = rewriteCommands(s);
  // Inside a trigonometric function a degree is a degree: \cos(5^\circ) is cos(5π/180).
  s = s.replace(TRIG_DEGREES, '\\$1($2\\cdot\\frac{\\pi}{180})');
  // Degrees are dropped: 30^\circ is compared as 30 (no conversion to radians).
  s = s.replace(/\^\s*\{\s*\\circ\s*\}/g, '').replace(/\^\s*\\circ(?![a-zA-Z])/g, '');
  s = s.replace(/\\(?:circ|degree)(?![a-zA-Z])/g, '');
  s = s.replace(/\\%/g, '%');
  s = s
    .replace(/\\(?:le|leqslant|leqq)(?![a-zA-Z])/g, '\\leq')
    .replace(/\\(?:ge|geqslant|geqq)(?![a-zA-Z])/g, '\\geq');
  s = s
    .replace(/\\ne(?![a-zA-Z])/g, '\\neq')
    .replace(/\\lt(?![a-zA-Z])/g, '<')
    .replace(/\\gt(?![a-zA-Z])/g, '>');
  s = s.replace(/<=/g, '\\leq ').replace(/>=/g, '\\geq ').replace(/!=/g, '\\neq ');
  s = s.replace(/\\(?:varnothing)(?![a-zA-Z])/g, '\\emptyset').replace(/\\\{\s*\\\}/g, '\\emptyset');
  s = s.replace(/\\(?:mid|vert)(?![a-zA-Z])/g, '|');
  s = s.replace(/\\langle(?![a-zA-Z])/g, '(').replace(/\\rangle(?![a-zA-Z])/g, ')');
  // One-character subscripts braced (x_1 = x_{1}); this also makes x_d^2 read as (x_d)^2, as
  // in TeX, rather than x_{d^2}.
  s = s.replace(/_\s*([a-zA-Z0-9])/g, '_{$1}');
  s = s.replace(/\\(?:dots|ldots|cdots)(?![a-zA-Z])/g, '...');
  s = s.replace(/\\ell(?![a-zA-Z])/g, 'l');
  s = s.replace(/\\operatorname\s*\{\s*([a-zA-Z]+)\s*\}/g, (_m, name: string) =>
    MATH_WORDS.has(name) ? `\\${name} ` : `\\text{${name}}`,
  );
  // Minerva writes "-1./3": a decimal point with no digits after it before an operator.
  s = s.replace(/(\d)\.(?=\s*[/*)+-])/g, '$1');
  // A box that restates the question's words: "\text{The answer is } 204".
  s = s.replace(/^\\text\{\s*(?:the\s+)?(?:final\s+)?answer\s+is\s*:?\s*\}\s*/i, '');
  s = expandBinom(s);
  s = s.replace(/\s+/g, ' ').trim();
  // Trailing sentence punctuation (a decimal point with nothing after it is harmless to drop).
  s = s.replace(/[.;,]+$/, '').trim();
  s = unbox(s);
  return s.replace(ROW_RE, '\\\\');
}

/** normalize() with every \text{…} replaced by its content. */
export function plain(normalized: string): string {
  if (!normalized.includes('\\text')) return normalized;
  return normalized
    .replace(/\\text\{([^{}]*)\}/g, ' $1 ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The form used for the exact-match stage: no whitespace at all, no \text wrappers. */
export function compact(normalized: string): string {
  return plain(normalized).replace(/\s+/g, '');
}
