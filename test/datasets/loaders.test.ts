import { describe, expect, it } from 'vitest';
import {
  asdivAnswer,
  gsm8kAnswer,
  joinBody,
  lastBoxed,
  numberAnswer,
  stripDollars,
} from '../../datasets/answers';
import { BENCHMARK_NAMES } from '../../datasets/benchmarks';
import { loadBenchmark } from '../../datasets/load';

// Row counts of the local files (shared/datasets/README.md); every row has a gold answer.
const EXPECTED: [string, string, number][] = [
  ['gsm8k', 'train', 7473],
  ['gsm8k', 'test', 1319],
  ['math', 'test', 5000],
  ['math', 'train', 4500],
  ['math500', 'test', 500],
  ['gaokao2023en', 'test', 385],
  ['olympiadbench', 'test', 675],
  ['college_math', 'test', 2818],
  ['asdiv', 'test', 2215],
  ['svamp', 'test', 1000],
  ['aime24', 'test', 30],
  ['amc23', 'test', 40],
];

// The only rows without a gold answer: two gaokao2023en items whose `answer` field in the source file
// is the empty string (a grid saddle-point question and a House-vote expression question).
const NO_GOLD: Record<string, string[]> = {
  'gaokao2023en/test': ['gaokao2023en/test/167', 'gaokao2023en/test/192'],
};

describe('benchmark loaders', () => {
  it('load every registered benchmark with a gold answer on every row', async () => {
    const table: string[] = [];
    for (const [name, split, rows] of EXPECTED) {
      const loaded = await loadBenchmark(name, split);
      table.push(
        `${`${name}/${split}`.padEnd(22)} ${String(loaded.rows.length).padStart(6)} rows, ${loaded.skipped.length} without gold`,
      );
      expect(loaded.rows.length + loaded.skipped.length, `${name}/${split}`).toBe(rows);
      expect(
        loaded.skipped.map((x) => x.query_id),
        `${name}/${split}`,
      ).toEqual(NO_GOLD[`${name}/${split}`] ?? []);
      expect(loaded.skipped.every((x) => x.reason === 'no extractable gold answer')).toBe(true);
      for (const r of loaded.rows) {
        expect(r.question.length).toBeGreaterThan(0);
        expect(r.answer.trim()).toBe(r.answer);
        expect(r.answer.length).toBeGreaterThan(0);
      }
      expect(new Set(loaded.rows.map((r) => r.query_id)).size).toBe(loaded.rows.length);
      expect(loaded.source_sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    console.log(`rows per benchmark:\n${table.join('\n')}`);
    expect(new Set(EXPECTED.map(([n]) => n))).toEqual(new Set(BENCHMARK_NAMES));
  });

  it('gold answers match the sources', async () => {
    const gsm = await loadBenchmark('gsm8k', 'test');
    expect(gsm.rows[0]).toMatchObject({
      query_id: 'gsm8k/test/0',
      source: 'gsm8k',
      split: 'test',
      answer: '18',
    });
    const math = await loadBenchmark('math', 'test');
    expect(math.rows[0]?.answer).toBe('2');
    expect(JSON.parse(math.rows[0]?.meta ?? '{}')).toMatchObject({ level: 'Level 3', type: 'Algebra' });
    const m500 = await loadBenchmark('math500', 'test');
    expect(m500.rows[0]?.answer).toBe('\\left( 3, \\frac{\\pi}{2} \\right)');
    const asdiv = await loadBenchmark('asdiv', 'test');
    expect(asdiv.rows[0]).toMatchObject({
      answer: '9',
      question: 'Seven red apples and two green apples are in the basket. How many apples are in the basket?',
    });
    const svamp = await loadBenchmark('svamp', 'test');
    expect(svamp.rows[0]?.answer).toBe('145');
    expect(svamp.rows[0]?.question).toMatch(/93 groups\. How big is each group of bananas\?$/);
    const amc = await loadBenchmark('amc23', 'test');
    expect(amc.rows[0]?.answer).toBe('27');
    const olymp = await loadBenchmark('olympiadbench', 'test');
    expect(olymp.rows[5]?.answer).toBe('(1,8,19), (2,7,13), (4,5,7)');
    // The MATH training stand-in shares no problem with math500.
    const train = await loadBenchmark('math', 'train');
    const test500 = new Set(m500.rows.map((r) => r.question.trim()));
    expect(train.rows.some((r) => test500.has(r.question.trim()))).toBe(false);
  });

  it('answer extraction handles nesting, separators and units', () => {
    expect(gsm8kAnswer('so 2+2\n#### 1,234')).toBe('1234');
    expect(gsm8kAnswer('no marker')).toBeNull();
    expect(lastBoxed('a \\boxed{1} then \\boxed{\\frac{1}{2}} end')).toBe('\\frac{1}{2}');
    expect(lastBoxed('\\boxed{\\{1, 2\\}}')).toBe('\\{1, 2\\}');
    expect(lastBoxed('\\fbox{7}')).toBe('7');
    expect(lastBoxed('\\boxed{unclosed')).toBeNull();
    expect(lastBoxed('none')).toBeNull();
    expect(stripDollars(' $x^2$ ')).toBe('x^2');
    expect(asdivAnswer('3:30 p.m.')).toBe('3:30 p.m.');
    expect(asdivAnswer('12 (cookies)')).toBe('12');
    expect(numberAnswer(3.5)).toBe('3.5');
    expect(numberAnswer(null)).toBeNull();
    expect(joinBody('A has 3,', 'how many?')).toBe('A has 3, how many?');
  });

  it('an unknown benchmark or split is a non-retryable error naming it', async () => {
    await expect(loadBenchmark('gsm9k')).rejects.toMatchObject({
      type: 'UnknownBenchmark',
      nonRetryable: true,
      message: expect.stringContaining('unknown benchmark "gsm9k"'),
    });
    await expect(loadBenchmark('aime24', 'train')).rejects.toMatchObject({
      message: expect.stringContaining('aime24 has no split "train"'),
    });
    await expect(loadBenchmark('gsm8k', 'test', { dir: '/nonexistent' })).rejects.toMatchObject({
      type: 'InvalidInput',
      message: expect.stringContaining('/nonexistent/gsm8k/test.jsonl'),
    });
  });
});
