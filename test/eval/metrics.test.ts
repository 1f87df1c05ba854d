// Every evaluation metric against numbers worked out by hand on a small fixed result set.
import { describe, expect, it } from 'vitest';
import { alignmentOf, evalMetrics, labelOf, oracleOf } from '../../engines/eval/metrics';
import type { EvalMode, EvalResultRow, SelectionSample } from '../../engines/eval/types';
import type { Mode } from '../../schemas/rollout';

type Cell = [correct: boolean, method: 'cot' | 'code'];

function row(benchmark: string, query_id: string, mode: EvalMode, [correct, method]: Cell): EvalResultRow {
  return {
    benchmark,
    query_id,
    mode,
    method,
    response_text: '',
    final_answer: null,
    answer: '1',
    correct,
    code_calls: method === 'code' ? 1 : 0,
    finish_reason: 'stop',
    policy: 'p',
    error: null,
  };
}

/** `right` correct out of `n` samples of one mode. */
function samples(
  benchmark: string,
  query_id: string,
  mode: Mode,
  right: number,
  n: number,
): SelectionSample[] {
  return Array.from({ length: n }, (_, i) => ({ benchmark, query_id, mode, reward: i < right ? 1 : 0 }));
}

// Set "b", seven queries. Greedy results (✓ correct, method of the response) and MC samples:
//
// | q  | cot      | code     | auto     | cot samples | code samples | label | choice |
// | q1 | ✓ cot    | ✓ code   | ✓ code   | 2/2 = 1.00  | 3/4 = 0.75   | cot   | code   |  (fractions, not counts: 2 < 3)
// | q2 | ✗ cot    | ✓ code   | ✓ code   | 1/4         | 3/4          | code  | code   |
// | q3 | ✓ cot    | ✗ code   | ✗ code   | 2/4         | 2/4          | tie   | code   |  (+2 correct native samples, ignored)
// | q4 | ✗ code   | ✗ code   | ✓ cot    | 0/4         | 0/4          | tie   | cot    |
// | q5 | ✓ cot    | ✗ code   | ✓ cot    | 3/4         | 1/4          | cot   | cot    |
// | q6 | ✗ cot    | ✓ cot    | ✓ cot    | 1/4         | 2/4          | code  | cot    |
// | q7 | ✗ cot    | ✓ code   | ✗ code   | 0/4         | 4/4          | code  | code   |
// q8 has samples but no greedy result: not labelled.
const B: Record<string, [Cell, Cell, Cell, [number, number], [number, number]]> = {
  q1: [
    [true, 'cot'],
    [true, 'code'],
    [true, 'code'],
    [2, 2],
    [3, 4],
  ],
  q2: [
    [false, 'cot'],
    [true, 'code'],
    [true, 'code'],
    [1, 4],
    [3, 4],
  ],
  q3: [
    [true, 'cot'],
    [false, 'code'],
    [false, 'code'],
    [2, 4],
    [2, 4],
  ],
  q4: [
    [false, 'code'],
    [false, 'code'],
    [true, 'cot'],
    [0, 4],
    [0, 4],
  ],
  q5: [
    [true, 'cot'],
    [false, 'code'],
    [true, 'cot'],
    [3, 4],
    [1, 4],
  ],
  q6: [
    [false, 'cot'],
    [true, 'cot'],
    [true, 'cot'],
    [1, 4],
    [2, 4],
  ],
  q7: [
    [false, 'cot'],
    [true, 'code'],
    [false, 'code'],
    [0, 4],
    [4, 4],
  ],
};

function fixture() {
  const results: EvalResultRow[] = [];
  const mc: SelectionSample[] = [];
  for (const [q, [cot, code, auto, sc, sk]] of Object.entries(B)) {
    results.push(row('b', q, 'cot', cot), row('b', q, 'code', code), row('b', q, 'auto', auto));
    mc.push(
      ...samples('b', q, 'dictated_cot', sc[0], sc[1]),
      ...samples('b', q, 'dictated_code', sk[0], sk[1]),
    );
  }
  mc.push(...samples('b', 'q3', 'native', 2, 2));
  mc.push(...samples('b', 'q8', 'dictated_cot', 1, 4), ...samples('b', 'q8', 'dictated_code', 0, 4));
  // Set "tw": auto only, two families; its "q1" shares an id with b's q1 but has no samples of its own.
  results.push(row('tw', 'q1', 'auto', [true, 'code']), row('tw', 'p1', 'auto', [false, 'cot']));
  const family: Record<string, string> = { q1: 'add', p1: 'pick' };
  return evalMetrics({
    results,
    samples: mc,
    familyOf: (set, id) => (set === 'tw' ? (family[id] ?? null) : null),
    policy: 'p',
  });
}

describe('evalMetrics on a hand-computed set', () => {
  const { metrics: m, summary } = fixture();

  it('Pass@1 and code rate per mode', () => {
    // cot: q1 q3 q5 = 3/7; code: q1 q2 q6 q7 = 4/7; auto: q1 q2 q4 q5 q6 = 5/7.
    expect(m['b.cot.accuracy']).toBe(0.4286);
    expect(m['b.code.accuracy']).toBe(0.5714);
    expect(m['b.auto.accuracy']).toBe(0.7143);
    // Code used: cot mode q4 = 1/7; code mode all but q6 = 6/7; auto q1 q2 q3 q7 = 4/7.
    expect(m['b.cot.code_rate']).toBe(0.1429);
    expect(m['b.code.code_rate']).toBe(0.8571);
    expect(m['b.auto.code_rate']).toBe(0.5714);
  });

  it('auto gain over the best dictated mode, only where all three modes ran', () => {
    // 5/7 - max(3/7, 4/7) = 1/7.
    expect(m['b.auto.gain']).toBe(0.1429);
    expect(m).not.toHaveProperty('tw.auto.gain');
  });

  it('selection accuracy per class, mAcc and accuracy within correct selections', () => {
    // Labelled: q1..q7 (q8 has no auto response) = 7.
    expect(m['b.selection.n']).toBe(7);
    // Label cot: q1 (chose code), q5 (chose cot) -> 1/2.
    expect(m['b.selection.acc_cot']).toBe(0.5);
    // Label code: q2 (code), q6 (cot), q7 (code) -> 2/3.
    expect(m['b.selection.acc_code']).toBe(0.6667);
    // (1/2 + 2/3) / 2 = 7/12.
    expect(m['b.selection.macc']).toBe(0.5833);
    // Choice = label: q2 (auto right), q5 (right), q7 (wrong) -> 2/3; ties excluded.
    expect(m['b.selection.acc_within_correct']).toBe(0.6667);
  });

  it('alignment split over the correct auto responses only', () => {
    // Correct auto responses: q1 q2 q4 q5 q6 (q3, q7 wrong: left out) = 5.
    expect(m['b.selection.align_n']).toBe(5);
    // q4 (cot; cot 0/4, code 0/4: neither can succeed, oracle cot), q5 (cot; 3/4 vs 1/4: oracle cot),
    // q6 (cot; 1/4 vs 2/4: cot can succeed, oracle cot) -> 3/5.
    expect(m['b.selection.strict_align']).toBe(0.6);
    // q1 (code; 2/2 and 3/4), q2 (code; 1/4 and 3/4): both can succeed and code was used -> 2/5.
    expect(m['b.selection.allow_code']).toBe(0.4);
    expect(m['b.selection.mis_align']).toBe(0);
  });

  it('confusion counts by label and choice', () => {
    const c = (label: string, choice: string) => m[`b.selection.confusion.${label}.${choice}`];
    expect([c('cot', 'cot'), c('cot', 'code')]).toEqual([1, 1]); // q5 | q1
    expect([c('code', 'cot'), c('code', 'code')]).toEqual([1, 2]); // q6 | q2 q7
    expect([c('tie', 'cot'), c('tie', 'code')]).toEqual([1, 1]); // q4 | q3
  });

  it('families and sets are separate groups; labels belong to their own set', () => {
    expect(m['tw.auto.accuracy']).toBe(0.5);
    expect(m['tw/add.auto.accuracy']).toBe(1);
    expect(m['tw/pick.auto.accuracy']).toBe(0);
    expect(m['tw.auto.code_rate']).toBe(0.5);
    // b's samples for "q1" must not label tw's "q1".
    expect(m).not.toHaveProperty('tw.selection.n');
    expect(m).not.toHaveProperty('tw.cot.accuracy');
  });

  it('summary rows carry counts, and the auto row carries gain and selection', () => {
    const cot = summary.find((s) => s.benchmark === 'b' && s.mode === 'cot');
    expect(cot).toMatchObject({ n: 7, correct: 3, policy: 'p', metrics: null });
    const auto = summary.find((s) => s.benchmark === 'b' && s.mode === 'auto');
    expect(auto).toMatchObject({ n: 7, correct: 5 });
    const extra = JSON.parse(auto?.metrics ?? '{}');
    expect(extra['b.auto.gain']).toBe(0.1429);
    expect(extra['b.selection.macc']).toBe(0.5833);
    expect(summary.filter((s) => s.benchmark.startsWith('tw'))).toHaveLength(3);
  });
});

// Set "a": every cell of the alignment split (paper §3.3). "Can succeed" = at least 1 of the 4 samples
// right; oracle = code iff code can and cot cannot, else cot.
//
// | q   | auto     | cot s. | code s. | oracle | class                                   |
// | a1  | ✓ cot    | 3/4    | 2/4     | cot    | StrictAlign (both can; cot preferred)   |
// | a2  | ✓ cot    | 1/4    | 0/4     | cot    | StrictAlign (cot only)                  |
// | a3  | ✓ cot    | 0/4    | 0/4     | cot    | StrictAlign (neither; cot by default)   |
// | a4  | ✓ cot    | 0/4    | 3/4     | code   | MisAlign (code was the sole path)       |
// | a5  | ✓ code   | 2/4    | 4/4     | cot    | AllowCode (both can, code used)         |
// | a6  | ✓ code   | 0/4    | 1/4     | code   | StrictAlign (code the sole path)        |
// | a7  | ✓ code   | 2/4    | 0/4     | cot    | MisAlign (code cannot)                  |
// | a8  | ✓ code   | 0/4    | 0/4     | cot    | MisAlign (neither; oracle cot)          |
// | a9  | ✗ code   | 0/4    | 4/4     | code   | not classified (wrong)                  |
// | a10 | ✗ cot    | 4/4    | 0/4     | cot    | not classified (wrong)                  |
// | a11 | ✓ code   | -      | -       | -      | not classified (no samples)             |
// Classified: a1..a8 = 8. Strict a1 a2 a3 a6 = 4/8; Allow a5 = 1/8; Mis a4 a7 a8 = 3/8.
const A: [string, Cell, [number, number] | null, [number, number] | null][] = [
  ['a1', [true, 'cot'], [3, 4], [2, 4]],
  ['a2', [true, 'cot'], [1, 4], [0, 4]],
  ['a3', [true, 'cot'], [0, 4], [0, 4]],
  ['a4', [true, 'cot'], [0, 4], [3, 4]],
  ['a5', [true, 'code'], [2, 4], [4, 4]],
  ['a6', [true, 'code'], [0, 4], [1, 4]],
  ['a7', [true, 'code'], [2, 4], [0, 4]],
  ['a8', [true, 'code'], [0, 4], [0, 4]],
  ['a9', [false, 'code'], [0, 4], [4, 4]],
  ['a10', [false, 'cot'], [4, 4], [0, 4]],
  ['a11', [true, 'code'], null, null],
];

describe('alignment with the oracle (paper §3.3) on every cell', () => {
  const results = A.map(([q, auto]) => row('a', q, 'auto', auto));
  const mc = A.flatMap(([q, , sc, sk]) =>
    sc && sk ? [...samples('a', q, 'dictated_cot', ...sc), ...samples('a', q, 'dictated_code', ...sk)] : [],
  );
  const { metrics: m } = evalMetrics({ results, samples: mc, policy: 'p' });

  it('shares over the correct labelled auto responses', () => {
    expect(m['a.selection.n']).toBe(10); // a1..a10 labelled
    expect(m['a.selection.align_n']).toBe(8);
    expect(m['a.selection.strict_align']).toBe(0.5);
    expect(m['a.selection.allow_code']).toBe(0.125);
    expect(m['a.selection.mis_align']).toBe(0.375);
  });

  it('oracle and per-response class', () => {
    expect(oracleOf(0, 0.25)).toBe('code');
    expect(oracleOf(0.25, 1)).toBe('cot');
    expect(oracleOf(0, 0)).toBe('cot');
    expect(alignmentOf('code', 0.5, 1)).toBe('allow_code');
    expect(alignmentOf('cot', 0.5, 1)).toBe('strict_align');
    expect(alignmentOf('cot', 0, 0.75)).toBe('mis_align');
    expect(alignmentOf('code', 0, 0)).toBe('mis_align');
  });
});

describe('selection edge cases', () => {
  it('labels: the strictly better fraction wins, equal (both zero included) is a tie', () => {
    expect(labelOf(0.5, 0.75)).toBe('code');
    expect(labelOf(1, 0.75)).toBe('cot');
    expect(labelOf(0, 0)).toBe('tie');
    expect(labelOf(0.5, 0.5)).toBe('tie');
  });

  it('a class without queries is left out of mAcc; all ties leave no within-correct accuracy', () => {
    // Only the cot and tie classes occur.
    // qa: cot 1/1 vs code 0/1 -> cot, chose cot; qb: 0/1 vs 0/1 -> tie, chose code.
    const results = [row('s', 'qa', 'auto', [true, 'cot']), row('s', 'qb', 'auto', [false, 'code'])];
    const mc = [
      ...samples('s', 'qa', 'dictated_cot', 1, 1),
      ...samples('s', 'qa', 'dictated_code', 0, 1),
      ...samples('s', 'qb', 'dictated_cot', 0, 1),
      ...samples('s', 'qb', 'dictated_code', 0, 1),
    ];
    const { metrics: m } = evalMetrics({ results, samples: mc, policy: 'p' });
    expect(m['s.selection.acc_cot']).toBe(1);
    expect(m['s.selection.acc_code']).toBeNull();
    expect(m['s.selection.macc']).toBe(1); // the cot class only
    expect(m['s.selection.acc_within_correct']).toBe(1); // qa only
    // Only qa's auto response is correct: cot can succeed (1/1), chose cot -> StrictAlign.
    expect(m['s.selection.align_n']).toBe(1);
    expect([m['s.selection.strict_align'], m['s.selection.allow_code'], m['s.selection.mis_align']]).toEqual([
      1, 0, 0,
    ]);

    const ties = evalMetrics({ results: [results[1] as EvalResultRow], samples: mc, policy: 'p' }).metrics;
    expect(ties['s.selection.macc']).toBeNull();
    expect(ties['s.selection.acc_within_correct']).toBeNull();
    // No correct auto response: nothing to split.
    expect(ties['s.selection.align_n']).toBe(0);
    expect(ties['s.selection.strict_align']).toBeNull();
  });

  it('no samples: no selection keys', () => {
    const { metrics } = evalMetrics({ results: [row('s', 'qa', 'auto', [true, 'cot'])], policy: 'p' });
    expect(Object.keys(metrics).some((k) => k.includes('selection'))).toBe(false);
  });
});
