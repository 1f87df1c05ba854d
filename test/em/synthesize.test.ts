import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cutAttempt,
  type EstimateRow,
  estimate,
  HINT_AFTER_CODE,
  HINT_AFTER_COT,
  type RolloutForEm,
  type SynthesizeParamsInput,
  synthesize,
  synthesizeWithStats,
  type TrainRow,
  whiten,
} from '../../activities/em';
import { prefixColumns } from '../../activities/em/reflect';
import { arbRollouts, byteTokenize, decode, queryRows } from './fixtures';

const est = (rows: RolloutForEm[], alpha = 0) => estimate(rows, { alpha, seed: 3 });
const sameTokens = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

describe('synthesize: hand-computed example', () => {
  // Decision code (Q_code 1 > Q_cot 0.5). Failed cot: dictated_cot 0 and native 0; correct code:
  // dictated_code 0 and 1: 4 (failed, correct) pairs, all kept with max_per_query 10 (cap 5).
  const rows = queryRows(
    'Q',
    {
      dictated_cot: [
        ['cot', 0],
        ['cot', 1],
      ],
      dictated_code: [
        ['code', 1],
        ['code', 1],
      ],
      native: [['cot', 0]],
    },
    12,
  );
  const params = { seed: 11, max_per_query: 10 };

  it('selects 4 reflective + 5 exploratory, replays the 4 dictated ones, whitens 7 right / 2 wrong', async () => {
    const { rows: out, stats } = await synthesizeWithStats(rows, est(rows), params, byteTokenize);
    expect(stats).toMatchObject({ queries_kept: 1, reflective: 4, exploratory: 5, replay: 4 });
    expect(out).toHaveLength(13);
    // mean 7/9, std sqrt(14)/9: right (2/9)/0.41574 = 0.5345, wrong −(7/9)/0.41574 = −1.8708.
    for (const r of out) {
      expect(r.advantage).toBeCloseTo(r.reward === 1 ? 0.534522 : -1.870829, 5);
      expect(r.decision).toBe('code');
    }
    const clipped = await synthesize(rows, est(rows), { ...params, adv_clip: 1.5 }, byteTokenize);
    const wrong = clipped.filter((r) => r.reward === 0);
    expect(wrong.filter((r) => !r.replay).map((r) => r.advantage)).toEqual([-1.5, -1.5]);
    expect(wrong.filter((r) => r.replay).map((r) => r.advantage)).toEqual([-1.5]); // dictated_cot 0's replay
  });

  it('builds the reflective response: 10 lines of the failed cot, the cot hint, the correct code solution', async () => {
    const out = await synthesize(rows, est(rows), params, byteTokenize);
    const refl = out.filter((r) => r.kind === 'reflective');
    const native = rows.find((r) => r.mode === 'native') as RolloutForEm;
    for (const r of refl) {
      expect(r.prompt_token_ids).toEqual(native.prompt_token_ids);
      const text = decode(r.response_token_ids);
      const [attempt, rest] = text.split(`\n${HINT_AFTER_COT}\n`) as [string, string];
      expect(attempt.split('\n')).toHaveLength(10);
      expect(attempt).toMatch(/^cot (dictated_cot|native) 0 line 0\n/);
      expect(rest).toMatch(/^code dictated_code [01] line 0\n/);
      const cut = Buffer.byteLength(attempt);
      const hint = Buffer.byteLength(`\n${HINT_AFTER_COT}\n`);
      expect(r.loss_mask.slice(0, cut).every((m) => m === 0)).toBe(true);
      expect(r.loss_mask.slice(cut, cut + hint).every((m) => m === 1)).toBe(true);
      expect(r.behavior_logprobs.slice(0, cut + hint).every(Number.isNaN)).toBe(true);
      const correct = rows.find(
        (c) => c.mode === 'dictated_code' && rest === c.response_text,
      ) as RolloutForEm;
      expect(r.loss_mask.slice(cut + hint)).toEqual(correct.loss_mask);
      expect(r.behavior_logprobs.slice(cut + hint)).toEqual(correct.behavior_logprobs);
      expect(r).toMatchObject({ reward: 1, weight: 1, replay: false });
    }
    expect(new Set(refl.map((r) => r.sample_id)).size).toBe(4);
  });

  it('replays dictated exploratory samples on their own prompt', async () => {
    const out = await synthesize(rows, est(rows), params, byteTokenize);
    const replays = out.filter((r) => r.replay);
    expect(replays).toHaveLength(4);
    for (const r of replays) {
      const src = rows.find((s) => s.mode !== 'native' && s.response_token_ids === r.response_token_ids);
      expect(src).toBeDefined();
      expect(r.prompt_token_ids).toEqual(src?.prompt_token_ids);
      const twin = out.find(
        (o) => !o.replay && o.kind === 'exploratory' && o.response_token_ids === r.response_token_ids,
      );
      expect(twin?.advantage).toBe(r.advantage);
      expect(twin?.sample_id).not.toBe(r.sample_id);
    }
    const none = await synthesize(rows, est(rows), { ...params, replay_dictated: false }, byteTokenize);
    expect(none.some((r) => r.replay)).toBe(false);
  });

  it('keep_other_correct: false drops the correct cot rollout from the candidates', async () => {
    const { stats } = await synthesizeWithStats(
      rows,
      est(rows),
      { ...params, keep_other_correct: false },
      byteTokenize,
    );
    expect(stats.exploratory).toBe(4);
  });

  it('reflective_weight and a code failure (hint to reason) with decision cot', async () => {
    const q = queryRows('R', {
      dictated_cot: [
        ['cot', 1],
        ['cot', 1],
      ],
      dictated_code: [
        ['code', 0],
        ['code', 1],
      ],
      native: [['code', 0]],
    });
    const out = await synthesize(q, est(q), { seed: 1, reflective_weight: 0.25 }, byteTokenize);
    const refl = out.filter((r) => r.kind === 'reflective');
    expect(refl.length).toBeGreaterThan(0);
    for (const r of refl) {
      expect(decode(r.response_token_ids)).toContain(`\n${HINT_AFTER_CODE}\n`);
      expect(r.weight).toBe(0.25);
    }
  });
});

describe('synthesize: dropped queries and bad input', () => {
  it('drops all-wrong and all-correct queries', async () => {
    const rows = [
      ...queryRows('wrong', {
        dictated_cot: [['cot', 0]],
        dictated_code: [['code', 0]],
        native: [['cot', 0]],
      }),
      ...queryRows('right', {
        dictated_cot: [['cot', 1]],
        dictated_code: [['code', 1]],
        native: [['code', 1]],
      }),
      ...queryRows('mixed', { dictated_cot: [['cot', 1]], native: [['cot', 0]] }),
    ];
    const { rows: out, stats } = await synthesizeWithStats(rows, est(rows), { seed: 1 }, byteTokenize);
    expect(stats).toMatchObject({
      queries: 3,
      queries_kept: 1,
      dropped_all_wrong: 1,
      dropped_all_correct: 1,
    });
    expect(new Set(out.map((r) => r.query_id))).toEqual(new Set(['mixed']));
  });

  it('names the query without a native rollout, or without an estimate', async () => {
    const rows = queryRows('lonely', { dictated_cot: [['cot', 1]], dictated_code: [['code', 0]] });
    await expect(synthesize(rows, est(rows), { seed: 1 }, byteTokenize)).rejects.toThrow(
      /query "lonely": no native/,
    );
    const ok = queryRows('ok', { dictated_cot: [['cot', 1]], native: [['cot', 0]] });
    await expect(synthesize(ok, [], { seed: 1 }, byteTokenize)).rejects.toThrow(
      /query "ok" has rollouts but no estimate/,
    );
    const extra: EstimateRow = { ...(est(ok)[0] as EstimateRow), query_id: 'ghost' };
    await expect(synthesize(ok, [...est(ok), extra], { seed: 1 }, byteTokenize)).rejects.toThrow(
      /"ghost" has no rollouts/,
    );
  });

  it('rejects rollouts whose token columns differ in length, and bad parameters', async () => {
    const rows = queryRows('q', { dictated_cot: [['cot', 1]], native: [['cot', 0]] });
    const bad = [{ ...(rows[0] as RolloutForEm), loss_mask: [1] }, rows[1] as RolloutForEm];
    await expect(synthesize(bad, est(rows), { seed: 1 }, byteTokenize)).rejects.toThrow(
      /query "q".*equal lengths/,
    );
    await expect(synthesize(rows, est(rows), { seed: 1, cut_lines: 0 }, byteTokenize)).rejects.toThrow(
      /cut_lines/,
    );
    await expect(
      synthesize(rows, est(rows), { seed: 1, bogus: 1 } as SynthesizeParamsInput, byteTokenize),
    ).rejects.toThrow(/bogus/);
  });

  it('native rollouts of one query must share the prompt', async () => {
    const rows = queryRows('q', {
      dictated_cot: [['cot', 1]],
      native: [
        ['cot', 0],
        ['cot', 1],
      ],
    });
    const bad = rows.map((r) =>
      r.mode === 'native' && r.sample === 1 ? { ...r, prompt_token_ids: [9] } : r,
    );
    await expect(synthesize(bad, est(rows), { seed: 1 }, byteTokenize)).rejects.toThrow(
      /different prompt_token_ids/,
    );
  });
});

describe('reflective pieces', () => {
  it('cutAttempt keeps the first lines and drops trailing newlines', () => {
    expect(cutAttempt('a\nb\nc\nd', 2)).toBe('a\nb');
    expect(cutAttempt('a\nb\n\n', 10)).toBe('a\nb');
    expect(cutAttempt('', 10)).toBe('');
  });
  it('cutAttempt with dropAnswer stops before the sentence stating the final answer', () => {
    expect(cutAttempt('26 + 4 = 32. The answer is \\boxed{32}.', 10, true)).toBe('26 + 4 = 32.');
    expect(cutAttempt('26 + 4 = 32. The answer is \\boxed{32}.', 10)).toBe(
      '26 + 4 = 32. The answer is \\boxed{32}.',
    );
    const code = '```python\nprint(63 + 5)\n```\n```output\n71\n```\nThe answer is \\boxed{71}.';
    expect(cutAttempt(code, 10, true)).toBe('```python\nprint(63 + 5)\n```\n```output\n71\n```');
    expect(cutAttempt('so x = 3, \\boxed{3}', 10, true)).toBe('');
    expect(cutAttempt('step 1\nstep 2\nstep 3\nThe answer is 4', 2, true)).toBe('step 1\nstep 2');
    expect(cutAttempt('no answer here, cut by the budget', 10, true)).toBe(
      'no answer here, cut by the budget',
    );
  });
  it('a token merged across the attempt/hint boundary is trained; attempt tokens are not', () => {
    expect(prefixColumns([1, 2, 3, 4, 5], [1, 2, 9]).loss_mask).toEqual([0, 0, 1, 1, 1]);
    expect(prefixColumns([1, 2, 3, 4, 5], [1, 2, 3]).loss_mask).toEqual([0, 0, 0, 1, 1]);
  });
  it('each distinct prefix is tokenized once', async () => {
    const rows = queryRows('q', {
      dictated_cot: [['cot', 0]],
      dictated_code: [
        ['code', 1],
        ['code', 1],
        ['code', 1],
      ],
      native: [['code', 0]],
    });
    const seen: string[] = [];
    const tok = async (t: string) => {
      seen.push(t);
      return byteTokenize(t);
    };
    const out = await synthesize(rows, est(rows), { seed: 1 }, tok);
    expect(out.filter((r) => r.kind === 'reflective')).toHaveLength(3);
    expect(seen).toHaveLength(2); // the cut attempt and the prefix, for the single failed cot
  });
});

const arbParams = fc.record({
  reflective: fc.boolean(),
  exploratory: fc.boolean(),
  max_per_query: fc.integer({ min: 1, max: 12 }),
  reflective_weight: fc.double({ min: 0, max: 3, noNaN: true }),
  cut_lines: fc.integer({ min: 1, max: 12 }),
  cut_answer: fc.boolean(),
  replay_dictated: fc.boolean(),
  keep_other_correct: fc.boolean(),
  seed: fc.integer(),
  adv_clip: fc.double({ min: 0.1, max: 3, noNaN: true }),
});

/** Rollouts, estimates (alpha 0 or sampled) and the synthesized rows. */
const arbCase = fc
  .record({
    rows: arbRollouts(6, 1),
    alpha: fc.constantFrom(0, 0.3),
    params: arbParams,
  })
  .map((c) => ({ ...c, estimates: estimate(c.rows, { alpha: c.alpha, seed: 5 }) }));

async function run(c: { rows: RolloutForEm[]; estimates: EstimateRow[]; params: SynthesizeParamsInput }) {
  return synthesizeWithStats(c.rows, c.estimates, c.params, byteTokenize);
}

describe('synthesize: properties', () => {
  it('whitened rewards have zero mean and unit-ish spread', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 1), { minLength: 2, maxLength: 30 }), (rs) => {
        fc.pre(new Set(rs).size === 2);
        const w = whiten(rs);
        expect(Math.abs(w.reduce((a, b) => a + b, 0) / w.length)).toBeLessThan(1e-9);
        expect(Math.sqrt(w.reduce((a, b) => a + b * b, 0) / w.length)).toBeCloseTo(1, 4);
      }),
    );
  });

  it('row invariants: lengths, clipping, signal, caps, prompts, ids, determinism', async () => {
    await fc.assert(
      fc.asyncProperty(arbCase, async (c) => {
        const { rows: out, stats } = await run(c);
        const p = c.params;
        const ids = new Set<string>();
        const perQuery = new Map<string, TrainRow[]>();
        for (const r of out) {
          expect(r.loss_mask).toHaveLength(r.response_token_ids.length);
          expect(r.behavior_logprobs).toHaveLength(r.response_token_ids.length);
          expect(Math.abs(r.advantage)).toBeLessThanOrEqual(c.params.adv_clip);
          ids.add(r.sample_id);
          const list = perQuery.get(r.query_id) ?? [];
          list.push(r);
          perQuery.set(r.query_id, list);
        }
        expect(ids.size).toBe(out.length);
        if (!c.params.reflective) expect(out.some((r) => r.kind === 'reflective')).toBe(false);
        if (!c.params.exploratory) expect(out.some((r) => r.kind === 'exploratory')).toBe(false);
        if (!p.replay_dictated) expect(out.some((r) => r.replay)).toBe(false);
        expect(stats.queries_kept).toBe(perQuery.size);
        for (const [q, list] of perQuery) {
          const mine = c.rows.filter((r) => r.query_id === q);
          const native = mine.find((r) => r.mode === 'native') as RolloutForEm;
          const main = list.filter((r) => !r.replay);
          // Kept queries carry signal: a right and a wrong sample (all-wrong/all-correct are absent).
          expect(main.some((r) => r.reward === 1) && main.some((r) => r.reward === 0)).toBe(true);
          expect(main.length).toBeLessThanOrEqual(p.max_per_query);
          expect(main.filter((r) => r.kind === 'reflective').length).toBeLessThanOrEqual(
            Math.ceil(p.max_per_query / 2),
          );
          for (const r of main) expect(r.prompt_token_ids).toEqual(native.prompt_token_ids);
          const decision = c.estimates.find((e) => e.query_id === q)?.decision;
          for (const r of list) expect(r.decision).toBe(decision);
          const replays = list.filter((r) => r.replay);
          const dictatedMain = main.filter(
            (r) =>
              r.kind === 'exploratory' &&
              mine.some((s) => s.mode !== 'native' && s.response_token_ids === r.response_token_ids),
          );
          expect(replays).toHaveLength(p.replay_dictated ? dictatedMain.length : 0);
        }
        for (const q of new Set(c.rows.map((r) => r.query_id))) {
          if (c.rows.filter((r) => r.query_id === q).every((r) => r.reward === 0))
            expect(perQuery.has(q)).toBe(false);
        }
        expect((await run(c)).rows).toEqual(out);
      }),
      { numRuns: 150 },
    );
  });

  it('advantages are the clipped whitened rewards of each query’s selected samples', async () => {
    await fc.assert(
      fc.asyncProperty(arbCase, async (c) => {
        const wide = { ...c.params, adv_clip: 1e9 };
        const out = (await run({ ...c, params: wide })).rows.filter((r) => !r.replay);
        const clipped = (await run(c)).rows.filter((r) => !r.replay);
        const byQ = new Map<string, TrainRow[]>();
        for (const r of out) byQ.set(r.query_id, [...(byQ.get(r.query_id) ?? []), r]);
        for (const list of byQ.values()) {
          expect(Math.abs(list.reduce((a, r) => a + r.advantage, 0))).toBeLessThan(1e-6);
        }
        // Same selection either way; only the clip differs.
        expect(clipped.map((r) => r.sample_id)).toEqual(out.map((r) => r.sample_id));
        clipped.forEach((r, i) => {
          const raw = (out[i] as TrainRow).advantage;
          expect(r.advantage).toBe(Math.min(c.params.adv_clip, Math.max(-c.params.adv_clip, raw)));
        });
      }),
      { numRuns: 100 },
    );
  });

  it('every reflective sample ends in a correct solution with the reference method, after the right hint', async () => {
    await fc.assert(
      fc.asyncProperty(arbCase, async (c) => {
        const { rows: out } = await run(c);
        const cutLines = c.params.cut_lines;
        const cutAnswer = c.params.cut_answer;
        for (const r of out.filter((x) => x.kind === 'reflective')) {
          const mine = c.rows.filter((x) => x.query_id === r.query_id);
          const failedMethod = r.decision === 'cot' ? 'code' : 'cot';
          const hint = `\n${r.decision === 'cot' ? HINT_AFTER_CODE : HINT_AFTER_COT}\n`;
          const text = decode(r.response_token_ids);
          const at = text.indexOf(hint);
          expect(at).toBeGreaterThanOrEqual(0);
          const attempt = text.slice(0, at);
          const correct = mine.find(
            (x) =>
              x.method === r.decision &&
              x.reward === 1 &&
              text.endsWith(x.response_text) &&
              text.length === at + hint.length + x.response_text.length,
          );
          expect(correct).toBeDefined();
          expect(r.response_token_ids.slice(-(correct as RolloutForEm).response_token_ids.length)).toEqual(
            (correct as RolloutForEm).response_token_ids,
          );
          expect(
            mine.some(
              (x) =>
                x.method === failedMethod &&
                x.reward === 0 &&
                cutAttempt(x.response_text, cutLines, cutAnswer) === attempt,
            ),
          ).toBe(true);
          expect(attempt.split('\n').length).toBeLessThanOrEqual(cutLines);
          expect(r.reward).toBe(1);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('row order of the input does not change the output rows of a query', async () => {
    await fc.assert(
      fc.asyncProperty(arbCase, async (c) => {
        const a = (await run(c)).rows;
        const b = (await run({ ...c, rows: [...c.rows].reverse() })).rows;
        const byId = (rs: TrainRow[]) => new Map(rs.map((r) => [r.sample_id, r]));
        const mb = byId(b);
        expect(mb.size).toBe(a.length);
        for (const r of a) {
          const twin = mb.get(r.sample_id) as TrainRow;
          expect(twin).toEqual(r);
          expect(sameTokens(twin.response_token_ids, r.response_token_ids)).toBe(true);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('synthesize without negative samples', () => {
  it('emits only correct samples, weighted by the whitening over every candidate of the query', async () => {
    await fc.assert(
      fc.asyncProperty(arbRollouts(6, 1), async (rows) => {
        const params = { seed: 1, reflective: false, replay_dictated: false, max_per_query: 64 };
        const all = await synthesize(rows, est(rows), params, byteTokenize);
        const positive = await synthesize(
          rows,
          est(rows),
          { ...params, negative_samples: false },
          byteTokenize,
        );
        expect(positive.every((r) => r.reward === 1 && r.advantage > 0)).toBe(true);
        // The same correct samples with the same advantages as when the failures are emitted too.
        const key = (r: TrainRow) => `${r.sample_id}:${r.advantage}`;
        expect(positive.map(key).sort()).toEqual(
          all
            .filter((r) => r.reward === 1)
            .map(key)
            .sort(),
        );
      }),
      { numRuns: 60 },
    );
  });
});
