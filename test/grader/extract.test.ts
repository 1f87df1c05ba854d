import { describe, expect, it } from 'vitest';
import { extractAnswer, grade } from '../../engines/grader/index';

describe('extractAnswer', () => {
  it('takes the last \\boxed{} with nested braces', () => {
    expect(extractAnswer('first \\boxed{1}, then $\\boxed{\\frac{\\sqrt{3}}{2}}$.')).toMatchObject({
      answer: '\\frac{\\sqrt{3}}{2}',
      source: 'boxed',
    });
  });

  it('reads \\fbox and \\boxed without braces', () => {
    expect(extractAnswer('so \\fbox{12}')).toMatchObject({ answer: '12', source: 'boxed' });
    expect(extractAnswer('so $\\boxed 7$')).toMatchObject({ answer: '7', source: 'boxed' });
  });

  it('joins boxed answers that stand together, not ones far apart', () => {
    expect(extractAnswer('roots $\\boxed{2}$ and $\\boxed{3}$').answer).toBe('2, 3');
    expect(
      extractAnswer('part one gives \\boxed{2}; after a long second part we finally get \\boxed{3}').answer,
    ).toBe('3');
  });

  it('ignores a truncated box and falls back to later sources', () => {
    expect(extractAnswer('the answer is 4. Thus \\boxed{4')).toMatchObject({
      answer: '4',
      source: 'answer_is',
    });
    expect(extractAnswer('Thus \\boxed{\\frac{1}{2}').source).toBe('none');
  });

  it('reads "the answer is" up to the end of the sentence, keeping decimals', () => {
    expect(extractAnswer('So the answer is 3.5 cm. Done.')).toMatchObject({
      answer: '3.5 cm',
      source: 'answer_is',
    });
    expect(extractAnswer('Final Answer: The final answer is $2$. I hope it is correct.').answer).toBe('$2$');
    expect(extractAnswer('**Answer:** 42').answer).toBe('42');
  });

  it('reads the GSM8K #### line', () => {
    expect(extractAnswer('9 * 2 = 18\n#### 18')).toMatchObject({ answer: '18', source: 'gsm8k' });
  });

  it('reads the last code output only when the response ends on it', () => {
    const code = '```python\nprint(3/4)\n```\n```output\n0.75\n```\n';
    expect(extractAnswer(code)).toMatchObject({ answer: '0.75', source: 'code_output' });
    expect(extractAnswer(`${code}So we continue reasoning`).source).toBe('none');
    const failed =
      '```python\nprint(x)\n```\n```output\nTraceback (most recent call last):\nNameError: x\n```';
    expect(extractAnswer(failed).source).toBe('none');
  });

  it('reports "none" when there is no answer', () => {
    expect(extractAnswer('Adding the two cases gives 3 + 4 =')).toMatchObject({
      answer: null,
      source: 'none',
    });
    expect(extractAnswer('')).toMatchObject({ answer: null, source: 'none' });
  });

  it('skips an empty trailing box', () => {
    expect(extractAnswer('The answer is \\boxed{2}.\\boxed{}').answer).toBe('2');
  });

  it('prefers the box over other sources', () => {
    expect(extractAnswer('The answer is 5.\n#### 6\n\\boxed{7}').answer).toBe('7');
  });
});

describe('grade', () => {
  it('is false with no answer, and reports what it extracted', () => {
    expect(grade('5', 'no idea')).toMatchObject({
      equal: false,
      extracted: null,
      reason: 'no_answer',
      source: 'none',
    });
    expect(grade('\\frac34', 'so $\\boxed{0.75}$')).toMatchObject({
      equal: true,
      extracted: '0.75',
      source: 'boxed',
    });
  });

  it('reads Python containers printed by code as lists and sets', () => {
    const out = (s: string) => `\`\`\`python\nprint(x)\n\`\`\`\n\`\`\`output\n${s}\n\`\`\``;
    expect(grade('1, 2', out('[2, 1]')).equal).toBe(true);
    expect(grade('\\{1, 2\\}', out('{1, 2}')).equal).toBe(true);
    expect(grade('\\frac{\\sqrt{2}}{2}', out('sqrt(2)/2')).equal).toBe(true);
    expect(grade('\\frac{\\sqrt{2}}{2}', out('sqrt(3)/2')).equal).toBe(false);
  });
});

describe('extraction policies', () => {
  const lenient = (r: string) => extractAnswer(r, 'lenient');

  it('strict takes only marked answers; lenient also the last math, a lone expression, the last number', () => {
    for (const r of ['So we get $ 42 $.', 'The total is \\[ 42 \\]', '42', 'so the total is 42 apples']) {
      expect(extractAnswer(r).source).toBe('none');
      expect(lenient(r).answer).toBe('42');
    }
    expect(lenient('So we get $ 42 $.').source).toBe('last_math');
    expect(lenient('42').source).toBe('whole_response');
    expect(lenient('so the total is 42 apples').source).toBe('last_number');
  });

  it('every answer says why it was chosen', () => {
    expect(extractAnswer('so \\boxed{2} and \\boxed{3}').why).toMatch(/2 adjacent/);
    expect(extractAnswer('no idea').why).toMatch(/^strict/);
    expect(lenient('Thus $x = 5$.').why).toMatch(/inline math/);
  });

  it('a statement keeps its value, not its words', () => {
    expect(extractAnswer('Final answer: the smallest $k$ is 12.').answer).toBe('12');
    expect(extractAnswer('The answer is 18 dollars.').answer).toBe('18 dollars');
  });

  it('lenient: chains give their last value, names keep their equation, listed values join', () => {
    expect(lenient('We find $a+b = 1 + 2 = 3$.').answer).toBe('3');
    expect(lenient('Then $n = 7$.').answer).toBe('n = 7');
    expect(lenient('The solutions are $x=2$ and $x=5$.').answer).toBe('x=2, x=5');
    expect(lenient('Let $x$ be the width. The width is $5$ and the area is $25$ square units.').answer).toBe(
      '25',
    );
  });

  it('lenient: a price is not math', () => {
    expect(lenient('She makes $18 a day and $20 on weekends, so 38 in all.').answer).toBe('38');
  });
});

describe('extraction on real endings', () => {
  it('joins boxes that part labels or names separate', () => {
    expect(extractAnswer('so $a = \\boxed{-6}$ or $a = \\boxed{2}$.').answer).toBe('-6, 2');
    expect(extractAnswer('(1) $\\boxed{48}$ (2) $\\boxed{384}$').answer).toBe('48, 384');
  });

  it('a value stated after the last box wins; a verdict does not', () => {
    const r = extractAnswer('so $\\boxed{20}$ cups... wait. Hmm, the final answer is 60 / 3 = 10 cups.');
    expect(r.answer).toBe('10 cups');
    expect(r.source).toBe('answer_is');
    expect(extractAnswer('Thus $\\boxed{5}$. The answer is correct.').answer).toBe('5');
  });

  it('a statement keeps its value, not the reason after it', () => {
    expect(extractAnswer('The answer is 2220, which is indeed divisible by 30.').answer).toBe('2220');
    expect(extractAnswer('The answer is 7, because $84 \\div 12 = 7$.').answer).toBe('7');
    expect(extractAnswer('The correct option is B.').answer).toBe('B');
  });

  it('a prose gold is read from the last clause under lenient only', () => {
    const r = 'The terms tend to $3/2$, so the series does not converge; it diverges.';
    expect(grade('diverges', r, { extraction: 'lenient' })).toMatchObject({
      equal: true,
      source: 'last_clause',
    });
    expect(grade('diverges', r, { extraction: 'strict' }).equal).toBe(false);
    expect(grade('converges', r, { extraction: 'lenient' }).equal).toBe(false);
  });
});
