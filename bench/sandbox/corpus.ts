// The snippet corpus of bench/sandbox: what model-written tool calls look like (arithmetic,
// sympy, loops) plus one runaway loop that must hit the timeout. Deterministic.
export interface Snippet {
  category: 'arithmetic' | 'sympy' | 'loop' | 'timeout';
  code: string;
}

const arithmetic = (i: number): string =>
  [
    `a = ${123 + i} * ${457 + 3 * i}`,
    `b = ${1000 + 7 * i} // ${7 + (i % 5)}`,
    'from fractions import Fraction',
    `c = Fraction(${i + 1}, ${i + 3}) + Fraction(1, 6)`,
    'print(a, b, c, round(a / (b + 1), 4))',
  ].join('\n');

const SYMPY: string[] = [
  "x = sp.symbols('x')\nprint(sp.solve(x**2 - {k}*x + 6, x))",
  "x, y = sp.symbols('x y')\nprint(sp.solve([x + y - {k}, x - y - 1], [x, y]))",
  "x = sp.symbols('x')\nprint(sp.factor(x**3 - {k}*x**2 + x - {k}))",
  "x = sp.symbols('x')\nprint(sp.integrate(x**2 + {k}*x, (x, 0, 3)))",
  "x = sp.symbols('x')\nprint(sp.simplify((x**2 - {k}**2) / (x - {k})))",
  'print(sp.Rational({k}, 12) + sp.Rational(5, 18), sp.sqrt({k} * 8))',
  "n = sp.symbols('n', integer=True)\nprint(sp.summation(n**2, (n, 1, {k} * 10)))",
];
const sympy = (i: number): string =>
  `import sympy as sp\n${(SYMPY[i % SYMPY.length] as string).replaceAll('{k}', String(2 + (i % 5)))}`;

const LOOPS: string[] = [
  'total = 0\nfor i in range(1, {n}):\n    if i % 3 == 0 or i % 5 == 0:\n        total += i\nprint(total)',
  'primes = [p for p in range(2, {n} // 10) if all(p % d for d in range(2, int(p ** 0.5) + 1))]\nprint(len(primes))',
  'count = 0\nfor a in range(1, 60):\n    for b in range(a, 60):\n        c = (a * a + b * b) ** 0.5\n        if c == int(c) and c < 60:\n            count += 1\nprint(count)',
  'import math\nprint(sum(math.comb(20, k) for k in range(0, 21, 2)), {n} % 97)',
  'import numpy as np\nv = np.arange({n}) % 7\nprint(int(v.sum()), float(v.mean()))',
];
const loop = (i: number): string =>
  (LOOPS[i % LOOPS.length] as string).replaceAll('{n}', String(20_000 + 1000 * i));

/** 100 snippets: 35 arithmetic, 35 sympy, 29 loops, 1 runaway loop (in the middle). */
export function corpus(): Snippet[] {
  const out: Snippet[] = [];
  for (let i = 0; i < 35; i++) out.push({ category: 'arithmetic', code: arithmetic(i) });
  for (let i = 0; i < 35; i++) out.push({ category: 'sympy', code: sympy(i) });
  for (let i = 0; i < 29; i++) out.push({ category: 'loop', code: loop(i) });
  // Interleave the categories so every slot sees a mix, like a batch of rollouts does.
  const mixed = out.map((s, i) => ({ s, k: (i * 37) % out.length })).sort((a, b) => a.k - b.k);
  const result = mixed.map((m) => m.s);
  result.splice(50, 0, { category: 'timeout', code: 'x = 0\nwhile True:\n    x += 1' });
  return result;
}
