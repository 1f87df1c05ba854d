import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EstimateRow, estimate, nativePrior, type RolloutForEm, reference } from '../../engines/em';
import { arbRollouts, queryRows } from './fixtures';

const byQuery = (rows: EstimateRow[]) => new Map(rows.map((r) => [r.query_id, r]));

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

describe('estimate: hand-computed example at alpha = 0.5', () => {
  const rows = [
    ...queryRows('A', {
      // One dictated-cot response wrote code anyway: Q is by mode, so it still counts for cot.
      dictated_cot: [
        ['cot', 1],
        ['code', 1],
        ['cot', 0],
        ['cot', 0],
      ],
      dictated_code: [
        ['code', 1],
        ['code', 1],
        ['code', 1],
        ['code', 0],
      ],
      native: [
        ['cot', 0],
        ['code', 1],
        ['code', 0],
      ],
    }),
    ...queryRows('B', {
      dictated_cot: [
        ['cot', 1],
        ['cot', 1],
      ],
      native: [['code', 0]],
    }),
    ...queryRows('C', {
      native: [
        ['code', 1],
        ['code', 1],
        ['cot', 0],
      ],
    }),
  ];
  const est = byQuery(estimate(rows, { alpha: 0.5, seed: 7 }));

  it('query A: Q by mode, Laplace prior, softmax reference', () => {
    const a = est.get('A') as EstimateRow;
    expect(a).toMatchObject({ n_cot: 4, n_code: 4, n_native: 3, q_cot: 0.5, q_code: 0.75 });
    expect(a.prior_cot).toBeCloseTo(0.4, 12); // (1 + 1) / (3 + 2)
    expect(a.prior_code).toBeCloseTo(0.6, 12);
    // 0.4·e^(0.5/0.5) / (0.4·e^1 + 0.6·e^(0.75/0.5)) = 1.08731 / 3.77633
    expect(a.ref_cot).toBeCloseTo(0.287929, 6);
    expect(a.ref_code).toBeCloseTo(0.712071, 6);
    expect(a.no_evidence).toBe(false);
  });

  it('query B: a method without dictated rollouts gets null Q and reference 0', () => {
    const b = est.get('B') as EstimateRow;
    expect(b).toMatchObject({ n_cot: 2, n_code: 0, q_cot: 1, q_code: null, ref_cot: 1, ref_code: 0 });
    expect(b.decision).toBe('cot');
    expect(b.prior_cot).toBeCloseTo(1 / 3, 12);
  });

  it('query C: no dictated rollouts: decision cot, reference = prior, flagged', () => {
    const c = est.get('C') as EstimateRow;
    expect(c).toMatchObject({ q_cot: null, q_code: null, decision: 'cot', no_evidence: true });
    expect(c.prior_cot).toBeCloseTo(0.4, 12); // (1 + 1) / (3 + 2)
    expect(c.ref_cot).toBe(c.prior_cot);
    expect(c.ref_code).toBe(c.prior_code);
  });

  it('at alpha = 0 query A takes the hard max (code), whatever the prior', () => {
    const hard = byQuery(estimate(rows, { seed: 7 }));
    expect(hard.get('A')).toMatchObject({ ref_cot: 0, ref_code: 1, decision: 'code' });
    const flat = byQuery(estimate(rows, { seed: 7, prior_smoothing: 1000 }));
    expect(flat.get('A')?.decision).toBe('code');
  });

  it('sampled decisions follow the reference: cot in about 28.8% of 2000 seeds', () => {
    let cot = 0;
    for (let seed = 0; seed < 2000; seed++) {
      const a = estimate(rows, { alpha: 0.5, seed }).find((r) => r.query_id === 'A') as EstimateRow;
      if (a.decision === 'cot') cot++;
    }
    expect(Math.abs(cot / 2000 - 0.287929)).toBeLessThan(0.05);
  });

  it('prior_smoothing = 0 with no native rollouts is uniform; a zero prior zeroes the method at alpha > 0', () => {
    expect(nativePrior(0, 0, 0)).toEqual({ ref_cot: 0.5, ref_code: 0.5 });
    expect(reference(1, 0, 0, 1, 0.1)).toEqual({ ref_cot: 0, ref_code: 1 });
    expect(reference(1, 0, 0, 1, 0)).toEqual({ ref_cot: 1, ref_code: 0 });
  });

  it('extreme alpha does not overflow', () => {
    const tiny = reference(0.6, 0.4, 0.5, 0.5, 1e-300);
    expect(tiny).toEqual({ ref_cot: 1, ref_code: 0 });
    const huge = reference(0.6, 0.4, 0.3, 0.7, 1e300);
    expect(huge.ref_cot).toBeCloseTo(0.3, 12);
  });
});

describe('estimate: bad input', () => {
  const good = queryRows('Q1', { dictated_cot: [['cot', 1]], native: [['cot', 1]] });
  it('names the query and field', () => {
    const bad = { ...(good[0] as RolloutForEm), reward: 0.5 };
    expect(() => estimate([bad], { seed: 1 })).toThrow(/query "Q1".*reward must be 0 or 1/);
    const mode = { ...(good[0] as RolloutForEm), mode: 'hinted' } as unknown as RolloutForEm;
    expect(() => estimate([mode], { seed: 1 })).toThrow(/mode must be one of/);
    expect(() => estimate([...good, good[0] as RolloutForEm], { seed: 1 })).toThrow(/duplicate rollout/);
  });
  it('rejects bad parameters, non-retryably', () => {
    expect(() => estimate(good, { seed: 1, alpha: -1 })).toThrow(/alpha/);
    try {
      estimate(good, { seed: 1, prior_smoothing: -0.5 });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ nonRetryable: true, type: 'EmInputError' });
      expect(String(e)).toMatch(/prior_smoothing/);
    }
  });
});

const arbParams = fc.record({
  alpha: fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 100, noNaN: true })),
  prior_smoothing: fc.double({ min: 0, max: 10, noNaN: true }),
  seed: fc.integer(),
});

describe('estimate: properties', () => {
  it('Q, n and prior match their definitions; ref is a distribution', () => {
    fc.assert(
      fc.property(arbRollouts(), arbParams, (rows, params) => {
        const est = estimate(rows, params);
        expect(est.map((e) => e.query_id).sort()).toEqual([...new Set(rows.map((r) => r.query_id))].sort());
        for (const e of est) {
          const mine = rows.filter((r) => r.query_id === e.query_id);
          const rewards = (mode: string) => mine.filter((r) => r.mode === mode).map((r) => r.reward);
          expect(e.q_cot).toBe(mean(rewards('dictated_cot')));
          expect(e.q_code).toBe(mean(rewards('dictated_code')));
          expect(e.n_cot).toBe(rewards('dictated_cot').length);
          const native = mine.filter((r) => r.mode === 'native');
          const s = params.prior_smoothing;
          if (native.length + s > 0) {
            const cot = native.filter((r) => r.method === 'cot').length;
            expect(e.prior_cot).toBeCloseTo((cot + s) / (native.length + 2 * s), 12);
          }
          expect(e.ref_cot).toBeGreaterThanOrEqual(0);
          expect(e.ref_code).toBeGreaterThanOrEqual(0);
          expect(Math.abs(e.ref_cot + e.ref_code - 1)).toBeLessThan(1e-12);
          expect(Math.abs(e.prior_cot + e.prior_code - 1)).toBeLessThan(1e-12);
          expect(e.no_evidence).toBe(e.q_cot === null && e.q_code === null);
          if (e.q_cot !== null && e.q_code === null) expect(e.decision).toBe('cot');
          if (e.q_cot === null && e.q_code !== null) expect(e.decision).toBe('code');
        }
      }),
      { numRuns: 200 },
    );
  });

  it('alpha -> 0 reaches the hard max when Q differs', () => {
    fc.assert(
      fc.property(
        arbRollouts(),
        fc.double({ min: 0.01, max: 10, noNaN: true }),
        fc.integer(),
        (rows, s, seed) => {
          const hard = byQuery(estimate(rows, { alpha: 0, prior_smoothing: s, seed }));
          for (const soft of estimate(rows, { alpha: 1e-9, prior_smoothing: s, seed })) {
            const h = hard.get(soft.query_id) as EstimateRow;
            if (soft.q_cot === null || soft.q_code === null || soft.q_cot === soft.q_code) continue;
            expect(soft.decision).toBe(h.decision);
            expect(soft.ref_cot).toBe(h.ref_cot);
            expect(h.decision).toBe(soft.q_cot > soft.q_code ? 'cot' : 'code');
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('ties go to cot at alpha = 0, whatever the prior', () => {
    const rewards = fc.array(fc.constantFrom(0, 1), { minLength: 1, maxLength: 8 });
    const natives = fc.array(fc.constantFrom('cot' as const, 'code' as const), { maxLength: 8 });
    fc.assert(
      fc.property(rewards, natives, fc.integer(), (rs, ns, seed) => {
        // Same rewards for both modes, in another order: Q_cot = Q_code.
        const rows = queryRows('t', {
          dictated_cot: rs.map((r) => ['cot', r] as const),
          dictated_code: [...rs].reverse().map((r) => ['code', r] as const),
          native: ns.map((m) => [m, 1] as const),
        });
        const [e] = estimate(rows, { alpha: 0, seed });
        expect(e).toMatchObject({ decision: 'cot', ref_cot: 1, ref_code: 0 });
      }),
    );
  });

  it('decisions are a function of (seed, query): reruns and row order do not change them', () => {
    fc.assert(
      fc.property(arbRollouts(), arbParams, (rows, params) => {
        const a = estimate(rows, params);
        const b = byQuery(estimate([...rows].reverse(), params));
        expect(a.length).toBe(b.size);
        for (const e of a) expect(b.get(e.query_id)).toEqual(e);
        expect(estimate(rows, params)).toEqual(a);
      }),
      { numRuns: 100 },
    );
  });

  it('different seeds give different sampled decisions somewhere (the seed is used)', () => {
    const rows = Array.from({ length: 40 }, (_, i) =>
      queryRows(`q${i}`, {
        dictated_cot: [
          ['cot', 1],
          ['cot', 0],
        ],
        dictated_code: [
          ['code', 1],
          ['code', 0],
        ],
      }),
    ).flat();
    const a = estimate(rows, { alpha: 1, seed: 1 }).map((e) => e.decision);
    const b = estimate(rows, { alpha: 1, seed: 2 }).map((e) => e.decision);
    expect(a).not.toEqual(b);
    expect(new Set(a).size).toBe(2);
  });
});
