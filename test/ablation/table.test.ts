// The ablation table from hand-built run records: every cell and every mean ± sd below is worked out
// by hand in the comments (sample sd, n − 1).
import { describe, expect, it } from 'vitest';
import type { Metrics } from '../../schemas/run';
import {
  type AblationRecord,
  ablationTable,
  renderAblationMarkdown,
  stat,
} from '../../services/ablation/table';

/** tiny_world metrics of one evaluation (plus a family group, which the table must ignore). */
function m(auto: number, extra: Partial<Record<'gain' | 'code' | 'macc' | 'strict', number>> = {}): Metrics {
  const out: Metrics = {
    'tiny_world.auto.accuracy': auto,
    'tiny_world.cot.accuracy': 0.1,
    'tiny_world/add.auto.accuracy': 0.99,
  };
  if (extra.gain !== undefined) out['tiny_world.auto.gain'] = extra.gain;
  if (extra.code !== undefined) out['tiny_world.auto.code_rate'] = extra.code;
  if (extra.macc !== undefined) out['tiny_world.selection.macc'] = extra.macc;
  if (extra.strict !== undefined) out['tiny_world.selection.strict_align'] = extra.strict;
  return out;
}

const run = (
  method: AblationRecord['method'],
  seed: number,
  finished: boolean,
  its: Metrics[],
): AblationRecord => ({
  run_id: `t-${method}-s${seed}`,
  method,
  seed,
  finished,
  iterations: its.map((metrics, iteration) => ({ iteration, metrics })),
});

const RECORDS: AblationRecord[] = [
  run('autocode', 0, true, [m(0.7), m(0.75), m(0.8, { gain: 0.1, code: 0.6, macc: 0.5, strict: 0.7 })]),
  run('autocode', 1, true, [m(0.7), m(0.85), m(0.9, { gain: 0.05, code: 0.7, macc: 0.6, strict: 0.8 })]),
  run('autocode', 2, true, [m(0.7), m(0.95), m(1.0, { gain: 0, code: 0.8, macc: 0.7, strict: 0.9 })]),
  // plain RL: seed 1 uses a renamed mAcc key (the table accepts it); seed 2 stopped after iteration 1.
  run('plain_rl', 0, true, [m(0.7), m(0.6), m(0.5, { gain: -0.2, code: 1, macc: 0.5, strict: 0.4 })]),
  run('plain_rl', 1, true, [
    m(0.7),
    m(0.7),
    { ...m(0.6, { gain: -0.1, code: 1, strict: 0.5 }), 'tiny_world.selection.m_acc': 0.6 },
  ]),
  run('plain_rl', 2, false, [m(0.7), m(0.2)]),
];

describe('ablation table', () => {
  it('computes sample mean and sd', () => {
    // 0.8, 0.9, 1.0: mean 0.9; squared deviations 0.01 + 0 + 0.01 = 0.02; / (3 − 1) = 0.01; sd 0.1.
    const s = stat([0.8, 0.9, 1.0, null]);
    expect(s.n).toBe(3);
    expect(s.mean).toBeCloseTo(0.9, 12);
    expect(s.sd).toBeCloseTo(0.1, 12);
    expect(stat([0.4])).toEqual({ mean: 0.4, sd: null, n: 1 });
    expect(stat([null])).toEqual({ mean: null, sd: null, n: 0 });
  });

  it('reads every column per run and leaves unfinished runs out of the means', () => {
    const t = ablationTable('t', 2, RECORDS);
    expect(t.sets.map((s) => s.set)).toEqual(['tiny_world']); // tiny_world/add is a family, not a set
    expect(t.unfinished).toEqual(['t-plain_rl-s2']);
    const s = t.sets[0]!;
    expect(s.rows.find((r) => r.run_id === 't-plain_rl-s1')?.last).toEqual({
      gain: -0.1,
      code_rate: 1,
      macc: 0.6, // from selection.m_acc
      strict_align: 0.5,
    });
    expect(s.rows.find((r) => r.run_id === 't-plain_rl-s2')?.auto).toEqual([0.7, 0.2, null]);
    const plain = s.summary.find((x) => x.method === 'plain_rl')!;
    // Seeds 0 and 1 only: auto it1 0.6, 0.7 -> mean 0.65, sd sqrt((0.05² + 0.05²) / 1) = 0.0707.
    expect(plain.seeds).toBe(2);
    expect(plain.auto[1]!.mean).toBeCloseTo(0.65, 12);
    expect(plain.auto[1]!.sd).toBeCloseTo(Math.sqrt(0.005), 12);
    // gain -0.2, -0.1: mean -0.15, sd 0.0707.
    expect(plain.last.gain.mean).toBeCloseTo(-0.15, 12);
  });

  it('renders per-seed rows and a mean ± sd row per method, in percent', () => {
    const md = renderAblationMarkdown(ablationTable('t', 2, RECORDS));
    expect(md).toContain(
      '| method | seed | auto it0 | auto it1 | auto it2 | auto − best dictated | auto code rate | selection mAcc | StrictAlign |',
    );
    expect(md).toContain('| autocode | 0 | 70.0 | 75.0 | 80.0 | +10.0 | 60.0 | 50.0 | 70.0 |');
    expect(md).toContain('| autocode | 2 | 70.0 | 95.0 | 100.0 | 0.0 | 80.0 | 70.0 | 90.0 |');
    // autocode over seeds 0, 1, 2:
    //   it0 70, 70, 70 -> 70.0 ± 0.0; it1 75, 85, 95 -> 85.0 ± 10.0; it2 80, 90, 100 -> 90.0 ± 10.0
    //   gain 10, 5, 0 -> +5.0 ± 5.0; code 60, 70, 80 -> 70.0 ± 10.0; mAcc 50, 60, 70 -> 60.0 ± 10.0;
    //   StrictAlign 70, 80, 90 -> 80.0 ± 10.0
    expect(md).toContain(
      '| **autocode** | mean ± sd (3) | 70.0 ± 0.0 | 85.0 ± 10.0 | 90.0 ± 10.0 | +5.0 ± 5.0 | 70.0 ± 10.0 | 60.0 ± 10.0 | 80.0 ± 10.0 |',
    );
    // plain_rl over seeds 0, 1: it1 60, 70 -> 65.0 ± 7.1; it2 50, 60 -> 55.0 ± 7.1; gain -20, -10 ->
    // -15.0 ± 7.1; code 100, 100 -> 100.0 ± 0.0; mAcc 50, 60 -> 55.0 ± 7.1; StrictAlign 40, 50 -> 45.0 ± 7.1
    expect(md).toContain(
      '| **plain_rl** | mean ± sd (2) | 70.0 ± 0.0 | 65.0 ± 7.1 | 55.0 ± 7.1 | -15.0 ± 7.1 | 100.0 ± 0.0 | 55.0 ± 7.1 | 45.0 ± 7.1 |',
    );
    expect(md).toContain('| plain_rl | 2 (unfinished) | 70.0 | 20.0 | — | — | — | — | — |');
    expect(md).toContain('Unfinished (left out of the means; re-run the sweep to continue): t-plain_rl-s2');
  });

  it('says so when nothing is recorded yet', () => {
    const md = renderAblationMarkdown(ablationTable('t', 2, [run('autocode', 0, false, [])]));
    expect(md).toContain('No run has recorded an evaluation yet.');
  });
});
