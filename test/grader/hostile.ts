// Hostile inputs for the grader, built in code (some are megabytes). Each case gives the verdict
// a correct grader may return besides "undecided" (null); `expect: null` means only undecided
// is acceptable. Used by hostile.test.ts (time bound) and bench/grader (latency figures).

export interface HostileCase {
  name: string;
  gold: string;
  /** Either a final answer… */
  pred?: string;
  /** …or a full response to extract from. */
  response?: string;
  /** The verdict accepted besides null (undefined: only null is acceptable). */
  expect?: boolean;
}

const rep = (s: string, n: number): string => s.repeat(n);

export function hostileCases(): HostileCase[] {
  const digits = rep('7', 100_000);
  return [
    {
      name: 'million nested braces',
      gold: '1',
      pred: `${rep('{', 1_000_000)}1${rep('}', 1_000_000)}`,
      expect: true,
    },
    {
      name: 'boxed million nested braces',
      gold: '1',
      response: `so \\boxed{${rep('{', 1_000_000)}1${rep('}', 1_000_000)}}`,
      expect: true,
    },
    { name: 'unbalanced million braces', gold: '1', pred: rep('{', 1_000_000), expect: false },
    { name: 'power tower vs 1', gold: '9^{9^{9^{9}}}', pred: '1', expect: false },
    { name: 'power tower vs itself', gold: '9^{9^{9^{9}}}', pred: '9^{9^{9^{9}}}', expect: true },
    { name: 'power tower reordered', gold: '9^{9^{9^{9}}}', pred: '9^{9^{9^{9}}}+0', expect: true },
    { name: 'tall tower', gold: `${rep('2^{', 40)}2${rep('}', 40)}`, pred: '4', expect: false },
    { name: 'unbraced tower', gold: '2^2^2^2^2^2^2^2', pred: '65536', expect: false },
    { name: '1e5-digit numbers, equal', gold: digits, pred: digits, expect: true },
    { name: '1e5-digit numbers, differ', gold: digits, pred: `${digits.slice(1)}8`, expect: false },
    { name: '1e5-digit number vs 5', gold: '5', pred: digits, expect: false },
    { name: '1e5-digit decimal vs 1/3', gold: '\\frac{1}{3}', pred: `0.${rep('3', 100_000)}`, expect: true },
    { name: 'deep parentheses', gold: '1', pred: `${rep('(', 20_000)}1${rep(')', 20_000)}`, expect: true },
    {
      name: 'nested fractions 300',
      gold: '1',
      pred: `${rep('\\frac{1}{1+', 300)}x${rep('}', 300)}`,
      expect: false,
    },
    {
      name: 'nested fractions 14',
      gold: '1',
      pred: `${rep('\\frac{1}{1+', 14)}x${rep('}', 14)}`,
      expect: false,
    },
    { name: 'nested sqrt 100', gold: '2', pred: `${rep('\\sqrt{', 100)}2${rep('}', 100)}`, expect: false },
    { name: 'long sum', gold: '2001x', pred: `${rep('x+', 2000)}x`, expect: true },
    { name: 'huge factorial', gold: '1', pred: '1000000!', expect: false },
    { name: 'factorial tower', gold: '1', pred: '((100!)!)!', expect: false },
    { name: 'huge sum range', gold: '500000000500000000', pred: '\\sum_{k=1}^{10^{9}} k', expect: true },
    { name: 'tiny by overflow', gold: '0', pred: '\\frac{1}{2004!}', expect: false },
    { name: 'division by zero', gold: '\\infty', pred: '\\frac{1}{0}', expect: false },
    { name: 'symbolic tower', gold: 'x^{x^{x^{x}}}', pred: 'x^{x^{x^{x}}}', expect: true },
    { name: 'symbolic tower vs x', gold: 'x^{x^{x^{x}}}', pred: 'x', expect: false },
    { name: 'exp tower', gold: 'e^{e^{e^{e^{10}}}}', pred: '1', expect: false },
    { name: 'runaway parse (real college_math gold)', gold: RUNAWAY, pred: '0', expect: false },
    { name: 'runaway parse, same gold again', gold: RUNAWAY, pred: '1', expect: false },
    { name: 'many items', gold: range(200).join(', '), pred: range(200).reverse().join(', '), expect: true },
    { name: 'big matrix', gold: matrix(60, 60, 0), pred: matrix(60, 60, 1), expect: false },
    { name: 'many plus-minus', gold: rep('\\pm 1', 500), pred: '1', expect: false },
    { name: 'regex trap: spaces', gold: '1', pred: `${rep(' ', 100_000)}x`, expect: false },
    { name: 'regex trap: letters', gold: '1', pred: `${rep('a', 50_000)}!`, expect: false },
    { name: 'regex trap: text commands', gold: '1', pred: rep('\\text{', 5000), expect: false },
    { name: 'regex trap: units', gold: '1', pred: `1${rep(' cm', 2000)}`, expect: false },
    { name: 'regex trap: commas', gold: '1', pred: rep('1,', 100_000), expect: false },
    {
      name: 'nested environments',
      gold: '1',
      pred: `${rep('\\begin{pmatrix}', 500)}1${rep('\\end{pmatrix}', 500)}`,
      expect: false,
    },
    {
      name: 'garbage LaTeX',
      gold: '1',
      pred: rep('\\frac\\frac\\frac{{}}\\sqrt[[[]]]^^^__', 30),
      expect: false,
    },
    { name: 'control characters', gold: '1', pred: '\u0000\u0001\u0002\uffff\ud800', expect: false },
    {
      name: 'long response, no answer',
      gold: '1',
      response: rep('We keep thinking. ', 60_000),
      expect: false,
    },
    { name: 'long response, many boxes', gold: '1', response: rep('\\boxed{2} ', 100_000), expect: false },
    {
      name: 'long code output',
      gold: '1',
      response: `\`\`\`output\n${rep('1', 1_000_000)}\n\`\`\``,
      expect: false,
    },
    {
      name: 'nested boxes',
      gold: '1',
      response: `${rep('\\boxed{', 100_000)}1${rep('}', 100_000)}`,
      expect: true,
    },
    // What the lenient extraction scans: math delimiters, prose after math, one-line responses.
    { name: 'a megabyte of dollar signs', gold: '1', response: rep('$', 1_000_000), expect: false },
    { name: 'a megabyte of inline math', gold: '1', response: rep('$2$ and ', 125_000), expect: false },
    { name: 'unclosed display math', gold: '1', response: `\\[ ${rep('x+', 200_000)}`, expect: false },
    {
      name: '10 KB of nested fractions in a sentence',
      gold: '1',
      response: `The value is $${rep('\\frac{1}{', 1000)}1${rep('}', 1000)}$.`,
      expect: false,
    },
    { name: 'unbraced fraction chain', gold: '1', pred: rep('\\frac', 3000), expect: false },
    {
      name: 'style command spam',
      gold: '5',
      pred: `5 ${rep('\\textbf{', 3000)}m${rep('}', 3000)}`,
      expect: true,
    },
    {
      name: 'binary garbage',
      gold: '1',
      response: Array.from({ length: 200_000 }, (_, i) => String.fromCharCode((i * 7919) % 65_536)).join(''),
      expect: false,
    },
    {
      name: 'many excluded points',
      gold: 'x \\neq 1',
      pred: `x \\neq ${range(60).join(', ')}`,
      expect: false,
    },
  ];
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function matrix(rows: number, cols: number, bump: number): string {
  const body = range(rows)
    .map((r) =>
      range(cols)
        .map((c) => String(r * cols + c + (r === rows - 1 && c === cols - 1 ? bump : 0)))
        .join(' & '),
    )
    .join(' \\\\ ');
  return `\\begin{pmatrix} ${body} \\end{pmatrix}`;
}

// A college_math gold on which the LaTeX parser runs for seconds (found by a scan of the
// benchmark golds): only the worker isolation bounds it.
export const RUNAWAY =
  'We have\n\n$$\n\\begin{aligned}\n\\|\\mathbf{u} \\times \\mathbf{v}\\|^{2} & =\\|\\mathbf{u}\\|^{2}\\|\\mathbf{v}\\|^{2} \\sin ^{2} \\theta \\\\\n& =\\|\\mathbf{u}\\|^{2}\\|\\mathbf{v}\\|^{2}\\left(1-\\cos ^{2} \\theta\\right) \\\\\n& =\\|\\mathbf{u}\\|^{2}\\|\\mathbf{v}\\|^{2}-\\|\\mathbf{u}\\|^{2}\\|\\mathbf{v}\\|^{2} \\cos ^{2} \\theta \\\\\n& =\\|\\mathbf{u}\\|^{2}\\|\\mathbf{v}\\|^{2}-(\\mathbf{u} \\cdot \\mathbf{v})^{2}\n\\end{aligned}\n$$\n\nwhich implies the expression equals 0 .';

/** The derivation alone, as a grader meets it once the gold's sentence is reduced to its math. */
export const RUNAWAY_MATH = RUNAWAY.slice(RUNAWAY.indexOf('$$') + 2, RUNAWAY.lastIndexOf('$$')).trim();
