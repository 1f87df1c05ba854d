import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEquivalent } from '../../engines/grader/index';

const eq = (g: string, p: string) => isEquivalent(g, p, { timeoutMs: 5000 }).equal;

describe('isEquivalent policy', () => {
  it('percent: X% matches X and X/100, a bare number does not match its hundredfold', () => {
    expect(eq('10\\%', '0.1')).toBe(true);
    expect(eq('10\\%', '10')).toBe(true);
    expect(eq('0.1', '10\\%')).toBe(true);
    expect(eq('0.1', '10')).toBe(false);
    expect(eq('10\\%', '1')).toBe(false);
  });

  it('relative tolerance 1e-4 only when a decimal is involved; exact values compare exactly', () => {
    expect(eq('\\sqrt{2}', '1.41421')).toBe(true);
    expect(eq('\\sqrt{2}', '1.414')).toBe(false);
    expect(eq('12345', '12346')).toBe(false);
    expect(eq('\\frac{1}{3}', '\\frac{333333}{1000000}')).toBe(false);
    expect(eq('1267650600228229401496703205376', '1267650600228229401496703205377')).toBe(false);
  });

  it('traps: \\left(…\\right), 0.5 vs \\frac12, x=3 vs 3, \\dfrac{3}{4} vs 3/4', () => {
    expect(eq('(1,2)', '\\left( 1, 2 \\right)')).toBe(true);
    expect(eq('0.5', '\\frac12')).toBe(true);
    expect(eq('x=3', '3')).toBe(true);
    expect(eq('3', 'x = 3')).toBe(true);
    expect(eq('\\dfrac{3}{4}', '3/4')).toBe(true);
  });

  it('gold shape decides: intervals need matching brackets, sets ignore order, tuples do not', () => {
    expect(eq('[1,2)', '[1,2]')).toBe(false);
    expect(eq('\\{3,1,2\\}', '1, 2, 3')).toBe(true);
    expect(eq('(3,1,2)', '(1,2,3)')).toBe(false);
  });

  it('relations: the same set of values whatever the notation, direction and strictness kept', () => {
    expect(eq('y > 3', '-y < -3')).toBe(true);
    expect(eq('y > 3', '-y > -3')).toBe(false);
    expect(eq('x \\leq 2', '3x \\leq 6')).toBe(true);
    expect(eq('x \\leq 2', '3x < 6')).toBe(false);
    expect(eq('(-\\infty,-2)\\cup(3,\\infty)', 'x < -2 \\text{ or } x > 3')).toBe(true);
    expect(eq('(-\\infty,-2)\\cup(3,\\infty)', 'x < -2 \\text{ or } x \\geq 3')).toBe(false);
  });

  it('labelled values: a named quantity equals the bare gold, a computed left side does not', () => {
    expect(eq('(4,1)', '(a,b)=(4,1)')).toBe(true);
    expect(eq('3, 8', 'PQ=3, RS=8')).toBe(true);
    expect(eq('3, 8', 'PQ=3, RS=9')).toBe(false);
    expect(eq('5:9', 'A:B = 5:9')).toBe(true);
    expect(eq('\\frac{1}{3}', '\\frac{XY}{YZ} = \\frac13')).toBe(true);
    expect(eq('6', '2x = 6')).toBe(false);
    // A gold equation is not reduced to its right side unless its left side is a name.
    expect(eq('x + y = 5', '5')).toBe(false);
  });

  it('approximations: the exact value written beside a decimal decides', () => {
    expect(eq('\\frac13', 'x = \\frac13 \\approx 0.33')).toBe(true);
    expect(eq('\\frac13', 'x = \\frac14 \\approx 0.33')).toBe(false);
    expect(eq('\\frac13', '\\approx 0.33')).toBe(false);
    expect(eq('\\frac34', '\\frac34 = 0.75')).toBe(true);
  });

  it('shorthand: unbraced TeX arguments, braces as a set, a value said twice', () => {
    expect(eq('\\frac{\\sqrt{3}}{2}', '\\frac{\\sqrt3}2')).toBe(true);
    expect(eq('\\frac{\\sqrt{3}}{2}', '\\frac{\\sqrt2}3')).toBe(false);
    expect(eq('2, 5', '{2, 5}')).toBe(true);
    expect(eq('2, 5', '{2, 6}')).toBe(false);
    expect(eq('0.5', '\\frac{1}{2} \\text{ or } 0.5')).toBe(true);
    expect(eq('5', '5 \\textbf{meters}')).toBe(true);
    expect(eq('25', '25 m²')).toBe(true);
  });

  it('solution sets: excluded points and absolute values compared as sets of reals', () => {
    expect(eq('(-\\infty,-5)\\cup(-5,5)\\cup(5,\\infty)', 'x \\neq \\pm 5')).toBe(true);
    expect(eq('(-\\infty,-5)\\cup(-5,5)\\cup(5,\\infty)', 'x \\neq 5')).toBe(false);
    expect(eq('x \\neq -1, 4', 'x \\neq 4, x \\neq -1')).toBe(true);
    expect(eq('x \\neq -1, 4', 'x \\neq 1, x \\neq 4')).toBe(false);
    expect(eq('(0,9) \\cup (9,36)', '0 < x < 36, x \\neq 9')).toBe(true);
    expect(eq('(0,9) \\cup (9,36)', '0 < x \\leq 36, x \\neq 9')).toBe(false);
    expect(eq('(-\\infty, -2] \\cup [2, \\infty)', '|x| \\geq 2')).toBe(true);
    expect(eq('(-2, 2)', '|x| < 2')).toBe(true);
    expect(eq('(-2, 2)', '|x| \\leq 2')).toBe(false);
  });

  it('units: ignored where one side has none, but two different known units differ', () => {
    expect(eq('18\\text{ hours}', '18')).toBe(true);
    expect(eq('18\\text{ hours}', '18 hrs')).toBe(true);
    expect(eq('18\\text{ hours}', '18 \\text{ minutes}')).toBe(false);
    expect(eq('18', 'USD 18')).toBe(true);
    expect(eq('18', 'USD 19')).toBe(false);
  });

  it('forms: ratios against fractions, chained and renamed definitions, orderings, degrees in trig', () => {
    expect(eq('\\frac34', '3:4')).toBe(true);
    expect(eq('\\frac34', '4:3')).toBe(false);
    expect(eq('x=y=4, z=2', 'x = 4, y = 4, z = 2')).toBe(true);
    expect(eq('x=y=4, z=2', 'x = 4, y = 2, z = 2')).toBe(false);
    expect(eq('f(n) = 2n + 1007', 'f(m) = 2m + 1007')).toBe(true);
    expect(eq('f(n) = 2n + 1007', 'f(m) = 2m + 1008')).toBe(false);
    expect(eq('b > a > c', 'c < a < b')).toBe(true);
    expect(eq('b > a > c', 'a < c < b')).toBe(false);
    expect(eq('10\\cos(5^\\circ)', '9.962')).toBe(true);
    expect(eq('\\text{Yes}', 'Yes, this is a subspace.')).toBe(true);
    expect(eq('\\text{Yes}', 'No, it is not closed.')).toBe(false);
  });

  it('notations from real golds: words for sets, set-builder forms, bases, clock times, several choices', () => {
    expect(eq('All real numbers', '\\mathbb{R}')).toBe(true);
    expect(eq('All real numbers', '(0, \\infty)')).toBe(false);
    expect(eq('no solution', '\\emptyset')).toBe(true);
    expect(eq('no solution', '\\{0\\}')).toBe(false);
    expect(eq('(-\\infty,0)\\cup (0,\\infty)', '\\mathbb{R} \\setminus \\{0\\}')).toBe(true);
    expect(eq('(-\\infty,0)\\cup (0,\\infty)', '\\mathbb{R} \\setminus \\{1\\}')).toBe(false);
    expect(eq('(5,\\infty)', '\\{x \\in \\mathbb{R} : x > 5\\}')).toBe(true);
    expect(eq('\\{x|x=3k,k\\in \\mathbb{Z}\\}', '\\{3k \\mid k \\in \\mathbb{Z}\\}')).toBe(true);
    expect(eq('\\{x|x=3k,k\\in \\mathbb{Z}\\}', '\\{2k \\mid k \\in \\mathbb{Z}\\}')).toBe(false);
    expect(eq('(0,2),(0,-2),(4,23),(4,-23)', '(0, \\pm 2), (4, \\pm 23)')).toBe(true);
    expect(eq('(0,2),(0,-2),(4,23),(4,-23)', '(0, \\pm 2), (4, 23)')).toBe(false);
    expect(eq('52_8', '52')).toBe(true);
    expect(eq('52_8', '42')).toBe(false);
    expect(eq('3:30 p.m.', '3:30 PM')).toBe(true);
    expect(eq('3:30 p.m.', '3:30 AM')).toBe(false);
    expect(eq('\\text{A,D}', 'D, A')).toBe(true);
    expect(eq('\\text{A,D}', 'A')).toBe(false);
    expect(eq('-1./3', '-\\frac{1}{3}')).toBe(true);
    expect(eq('\\cot x', '\\operatorname{cot} x')).toBe(true);
    expect(eq('w=\\frac{V}{\\ell h}', 'w = \\frac{V}{lh}')).toBe(true);
    expect(eq('204', '\\text{The answer is } 204')).toBe(true);
    expect(eq('The answer is 18.', '\\$18')).toBe(true);
    expect(eq('$145$solution:', '145')).toBe(true);
  });

  it('wrappers on either side: a stating sentence, a scaled matrix, a number in prose, a unit after math', () => {
    expect(eq('\\boxed{3}', 'Therefore, $x = 3$.')).toBe(true);
    expect(eq('\\boxed{3}', 'Therefore, $x = 4$.')).toBe(false);
    expect(eq('Solution is: $(x, y)=(1, 2)$', '(1, 2)')).toBe(true);
    expect(
      eq(
        '\\begin{pmatrix} 12/13 \\\\ -18/13 \\end{pmatrix}',
        '\\frac{1}{13}\\begin{pmatrix} 12 \\\\ -18 \\end{pmatrix}',
      ),
    ).toBe(true);
    expect(
      eq(
        '\\begin{pmatrix} 12/13 \\\\ -18/13 \\end{pmatrix}',
        '\\frac{1}{12}\\begin{pmatrix} 12 \\\\ -18 \\end{pmatrix}',
      ),
    ).toBe(false);
    expect(eq('145.0', 'Each group has 145 bananas.')).toBe(true);
    expect(eq('145.0', 'Each of 3 groups has 145 bananas.')).toBe(false);
    expect(eq('$5.7 \\mathrm{hr}$', '$5.7$ minutes')).toBe(false);
    expect(eq('$5.7 \\mathrm{hr}$', '$5.7$ hours')).toBe(true);
    expect(eq('45\\text{ mph}', '45 \\text{ km/h}')).toBe(false);
    expect(eq('No. This would lead to $0=1$.', 'No')).toBe(true);
    expect(eq('$2,365,200,000$ beats/lifetime', '2365200000')).toBe(true);
  });

  it('symbolic: same function of the same variables', () => {
    expect(eq('x^2+2x+1', '(x+1)^2')).toBe(true);
    expect(eq('x^2+2x+1', '(x+1)^2 + 10^{-3}')).toBe(false);
    expect(eq('2\\pi r', '2\\pi x')).toBe(false);
  });

  it('prose: a sentence ending in the gold words counts unless it negates them', () => {
    expect(eq('converges', '\\text{The series converges}')).toBe(true);
    expect(eq('converges', 'The series never converges')).toBe(false);
    expect(eq('converges', 'diverges')).toBe(false);
  });

  it('reasons name the deciding stage', () => {
    expect(isEquivalent('5', '5').reason).toBe('exact');
    expect(isEquivalent('5', '5.0').reason).toBe('number');
    expect(isEquivalent('\\frac12', '0.5').reason).toBe('fraction');
    expect(isEquivalent('A', '(B)').reason).toBe('choice');
  });

  it('is undecided, not false, when the time bound is spent', () => {
    const r = isEquivalent('x^2+2x+1', '(x+1)^2', { timeoutMs: 0 });
    expect(r).toEqual({ equal: null, reason: 'timeout' });
  });

  it('takes a numeric gold from untyped callers (AMC golds are floats)', () => {
    expect(isEquivalent(27 as unknown as string, '27').equal).toBe(true);
  });

  it('is undecided on an empty gold and false on an empty prediction', () => {
    expect(isEquivalent('', '5').equal).toBeNull();
    expect(isEquivalent('5', '  ').equal).toBe(false);
  });
});

describe('isEquivalent properties', () => {
  it('an integer equals itself written with thousands separators, a decimal point or a +', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), (n) => {
        const plain = n.toString();
        const grouped = plain.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
        return (
          eq(plain, grouped) === true && eq(plain, `${plain}.0`) === true && eq(`+${plain}`, plain) === true
        );
      }),
      { numRuns: 200 },
    );
  });

  it('distinct integers are never equal', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }),
        fc.bigInt({ min: 1n, max: 1000n }),
        (n, d) => {
          return eq(n.toString(), (n + d).toString()) === false;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a fraction equals its decimal value and not a perturbed one', () => {
    fc.assert(
      fc.property(fc.integer({ min: -500, max: 500 }), fc.integer({ min: 1, max: 64 }), (a, b) => {
        const dec = (a / b).toPrecision(12);
        // 10x the relative tolerance away (or 1e-3 away from zero).
        const off = (a === 0 ? 1e-3 : (a / b) * 1.001).toPrecision(12);
        return eq(`\\frac{${a}}{${b}}`, dec) === true && eq(`\\frac{${a}}{${b}}`, off) === false;
      }),
      { numRuns: 150 },
    );
  });

  it('never throws and stays within a second on arbitrary strings', () => {
    const tokens = [
      '\\frac',
      '{',
      '}',
      '(',
      ')',
      '[',
      ']',
      '^',
      '_',
      'x',
      '1',
      '2',
      ',',
      '=',
      '\\sqrt',
      '\\pi',
      ' ',
      '\\left(',
      '\\right)',
      '\\{',
      '\\}',
      '\\',
      '%',
      '$',
      '\\text{',
      'e',
      'i',
      '.',
      '-',
      '+',
      '!',
      '\\pm',
      '<',
      '\\cup',
    ];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...tokens), { maxLength: 60 }).map((t) => t.join('')),
        fc.array(fc.constantFrom(...tokens), { maxLength: 60 }).map((t) => t.join('')),
        (g, p) => {
          const start = performance.now();
          const r = isEquivalent(g, p);
          return performance.now() - start < 1000 && (r.equal === null || typeof r.equal === 'boolean');
        },
      ),
      { numRuns: 300 },
    );
  });
});
