import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  closeFences,
  cutAttempt,
  type EstimateRow,
  estimate,
  failedAttemptText,
  HINT_AFTER_CODE,
  HINT_AFTER_COT,
  type RolloutForEm,
  type SynthesizeParamsInput,
  synthesize,
  synthesizeWithStats,
  type TrainRow,
  whiten,
} from '../../engines/em';
import { prefixColumns } from '../../engines/em/reflect';
import { arbRollouts, byteTokenize, decode, queryRows } from './fixtures';

const est = (rows: RolloutForEm[], alpha = 0) => estimate(rows, { alpha, seed: 3 });
const sameTokens = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

describe('synthesize: hand-computed example', () => {
  // Decision code (Q_code 1 > Q_cot 0.5). Failed cot: dictated_cot 0 and native 0; correct code:
  // dictated_code 0 and 1: 4 (failed, correct) pairs, all drawn with max_per_query 10 (cap 5).
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

  it('default: the 2 code rollouts are the exploratory candidates; all 6 candidates right, so advantage +1', async () => {
    // Pool: 4 reflective (reward 1) + dictated_code 0 and 1 (reward 1); the cot rollouts are not
    // candidates (the decision is code). All correct: kept with +1. Rows: 4 + 2 + 2 replays.
    const { rows: out, stats } = await synthesizeWithStats(rows, est(rows), params, byteTokenize);
    expect(stats).toMatchObject({ queries_kept: 1, reflective: 4, exploratory: 2, replay: 2 });
    expect(out).toHaveLength(8);
    for (const r of out) expect(r).toMatchObject({ decision: 'code', reward: 1, advantage: 1 });
    const explored = out.filter((r) => r.kind === 'exploratory').map((r) => decode(r.response_token_ids));
    expect(explored.every((t) => t.startsWith('```python\ncode dictated_code'))).toBe(true);
    const dropped = await synthesizeWithStats(
      rows,
      est(rows),
      { ...params, all_correct: 'drop' },
      byteTokenize,
    );
    expect(dropped.rows).toHaveLength(0);
    expect(dropped.stats.dropped_all_correct).toBe(1);
  });

  it('keep_other_correct (outcome RL): all 5 rollouts are candidates, whitened 7 right / 2 wrong', async () => {
    const p = { ...params, keep_other_correct: true };
    const { rows: out, stats } = await synthesizeWithStats(rows, est(rows), p, byteTokenize);
    expect(stats).toMatchObject({ queries_kept: 1, reflective: 4, exploratory: 5, replay: 4 });
    expect(out).toHaveLength(13);
    // mean 7/9, std sqrt(14)/9: right (2/9)/0.41574 = 0.5345, wrong −(7/9)/0.41574 = −1.8708.
    for (const r of out) expect(r.advantage).toBeCloseTo(r.reward === 1 ? 0.534522 : -1.870829, 5);
    const clipped = await synthesize(rows, est(rows), { ...p, adv_clip: 1.5 }, byteTokenize);
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
      expect(rest).toMatch(/^```python\ncode dictated_code [01] line 0\n/);
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
    for (const [p, n] of [
      [params, 2],
      [{ ...params, keep_other_correct: true }, 4],
    ] as const) {
      const out = await synthesize(rows, est(rows), p, byteTokenize);
      const replays = out.filter((r) => r.replay);
      expect(replays).toHaveLength(n);
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
    }
    const none = await synthesize(rows, est(rows), { ...params, replay_dictated: false }, byteTokenize);
    expect(none.some((r) => r.replay)).toBe(false);
  });

  it('rescore: reflective rows and dictated rollouts on the no-hint prompt; not native rows nor replays', async () => {
    const out = await synthesize(rows, est(rows), { ...params, keep_other_correct: true }, byteTokenize);
    const byKind = (f: (r: TrainRow) => boolean) => out.filter(f).map((r) => r.rescore);
    // 4 reflective, 4 dictated exploratory on the native prompt, 1 native exploratory, 4 replays.
    expect(byKind((r) => r.kind === 'reflective')).toEqual([true, true, true, true]);
    expect(byKind((r) => r.kind === 'exploratory' && r.replay)).toEqual([false, false, false, false]);
    const native = rows.find((r) => r.mode === 'native') as RolloutForEm;
    const fromNative = (r: TrainRow) => r.response_token_ids === native.response_token_ids;
    expect(byKind((r) => r.kind === 'exploratory' && !r.replay && fromNative(r))).toEqual([false]);
    expect(byKind((r) => r.kind === 'exploratory' && !r.replay && !fromNative(r))).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it('reflective_weight and a failed program (hint to reason) with decision cot', async () => {
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

describe('finding 1: the reference decision chooses the exploratory samples', () => {
  // Decision code: dictated code 3/4 beats dictated cot 2/4. Native: 2 cot (1 right), 2 code (1 right).
  const rows = queryRows('F1', {
    dictated_cot: [
      ['cot', 1],
      ['cot', 1],
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
      ['cot', 1],
      ['cot', 0],
      ['code', 1],
      ['code', 0],
    ],
  });
  const cot = rows.filter((r) => r.method === 'cot');

  it('no cot rollout, right or wrong, is trained as an exploratory sample; failed cot only as an attempt', async () => {
    const p = { seed: 2, max_per_query: 64, replay_dictated: false };
    const out = await synthesize(rows, est(rows), p, byteTokenize);
    const explored = out.filter((r) => r.kind === 'exploratory');
    // Candidates: the 6 code rollouts (4 right). Reflective: 3 failed cot × 4 right code = 12 pairs.
    expect(explored).toHaveLength(6);
    expect(explored.every((r) => !cot.some((c) => c.response_token_ids === r.response_token_ids))).toBe(true);
    const refl = out.filter((r) => r.kind === 'reflective');
    expect(refl).toHaveLength(12);
    // Pool 18, 16 right: p = 8/9, std = sqrt(8)/9; right (1/9)/(sqrt(8)/9) = 0.353553, wrong −2.828427 → −2.
    for (const r of out) expect(r.advantage).toBeCloseTo(r.reward === 1 ? 0.353553 : -2, 5);
    // keep_other_correct (outcome RL): the 6 cot rollouts join (3 right, 3 wrong).
    const rl = await synthesize(rows, est(rows), { ...p, keep_other_correct: true }, byteTokenize);
    expect(rl.filter((r) => r.kind === 'exploratory')).toHaveLength(12);
  });
});

describe('finding 3: all-wrong / all-correct judged on the whole pool, before subsampling', () => {
  const n8 = (method: 'cot' | 'code', right: number) =>
    Array.from({ length: 8 }, (_, i) => [method, i < right ? 1 : 0] as const);

  it('the reproduction: decision code, dictated cot 7/8, code 8/8, native cot 7/8 → 12 rows, all +1', async () => {
    const rows = queryRows('R3', {
      dictated_cot: n8('cot', 7),
      dictated_code: n8('code', 8),
      native: n8('cot', 7),
    });
    const [e] = est(rows);
    expect(e?.decision).toBe('code');
    // Failed cot: 2 (dictated and native) × 8 right code = 16 pairs, cap 4. Candidates: the 8 dictated
    // code rollouts, all right. Pool all right → +1. Rows: 4 reflective, 4 exploratory, 4 replays.
    const { rows: out, stats } = await synthesizeWithStats(rows, est(rows), { seed: 0 }, byteTokenize);
    expect(stats).toMatchObject({ queries_kept: 1, reflective: 4, exploratory: 4, replay: 4 });
    expect(out.map((r) => r.advantage)).toEqual(Array(12).fill(1));
    // The old behaviour (`all_correct: 'drop'`) lost the query and its 4 reflective samples.
    const old = await synthesizeWithStats(rows, est(rows), { seed: 0, all_correct: 'drop' }, byteTokenize);
    expect(old.stats).toMatchObject({ queries_kept: 0, dropped_all_correct: 1 });
    // adv_clip below 1 clips the +1 too.
    const low = await synthesize(rows, est(rows), { seed: 0, adv_clip: 0.5 }, byteTokenize);
    expect(low.every((r) => r.advantage === 0.5)).toBe(true);
  });

  it('decision code, dictated code 6/8: whitened over the 12-candidate pool whatever the subsample', async () => {
    const rows = queryRows('K', {
      dictated_cot: n8('cot', 4),
      dictated_code: n8('code', 6),
      native: n8('cot', 4),
    });
    // Reflective: 8 failed cot × 6 right code = 48 pairs, cap 4. Candidates: 8 dictated code (6 right).
    // Pool 12, 10 right: p = 5/6, std = sqrt(5)/6; right (1/6)/std = 1/sqrt(5) = 0.447214,
    // wrong −(5/6)/std = −sqrt(5) = −2.236068 (clipped to −2).
    let allRightSubsamples = 0;
    for (let seed = 0; seed < 20; seed++) {
      const { rows: out, stats } = await synthesizeWithStats(
        rows,
        est(rows),
        { seed, adv_clip: 9 },
        byteTokenize,
      );
      expect(stats).toMatchObject({ queries_kept: 1, reflective: 4, exploratory: 4, replay: 4 });
      // (the 1e-6 in the denominator moves the wrong one by 6e-6)
      for (const r of out) expect(r.advantage).toBeCloseTo(r.reward === 1 ? 0.447214 : -2.236068, 4);
      // A subsample with no wrong sample was judged all-correct (and dropped) before.
      if (out.every((r) => r.reward === 1)) allRightSubsamples++;
    }
    expect(allRightSubsamples).toBeGreaterThan(0);
    // Without negative samples: the 4 exploratory are drawn from the 6 right ones, same advantage.
    const pos = await synthesize(rows, est(rows), { seed: 0, negative_samples: false }, byteTokenize);
    expect(pos).toHaveLength(12);
    for (const r of pos) expect(r.advantage).toBeCloseTo(0.447214, 5);
  });

  it('exploratory: false leaves reflective samples alone: all correct, advantage +1', async () => {
    const rows = queryRows('X', {
      dictated_cot: n8('cot', 4),
      dictated_code: n8('code', 6),
      native: n8('cot', 4),
    });
    const out = await synthesize(rows, est(rows), { seed: 0, exploratory: false }, byteTokenize);
    expect(out).toHaveLength(4);
    expect(out.every((r) => r.kind === 'reflective' && r.advantage === 1 && r.rescore)).toBe(true);
  });
});

describe('finding 4: a failed program is kept whole', () => {
  // Decision cot (dictated cot 2/2 beats code 0/2); the failed programs are 14 lines long.
  const rows = queryRows(
    'P',
    {
      dictated_cot: [
        ['cot', 1],
        ['cot', 1],
      ],
      dictated_code: [
        ['code', 0],
        ['code', 0],
      ],
      native: [['cot', 1]],
    },
    14,
  );
  const failed = rows.filter((r) => r.method === 'code');

  it('through its output block and final answer, then the hint outside any block', async () => {
    const out = await synthesize(rows, est(rows), { seed: 4 }, byteTokenize);
    const refl = out.filter((r) => r.kind === 'reflective');
    expect(refl).toHaveLength(4); // 2 failed programs × 3 right cot = 6 pairs, cap 4
    for (const r of refl) {
      const [attempt] = decode(r.response_token_ids).split(`\n${HINT_AFTER_CODE}\n`) as [string];
      expect(failed.some((f) => f.response_text === attempt)).toBe(true);
      // 1 + 14 + 1 program lines, 3 output lines, the answer: 20 lines, nothing cut.
      expect(attempt.split('\n')).toHaveLength(20);
      expect(attempt.endsWith('```\nThe answer is \\boxed{0}.')).toBe(true);
    }
  });

  it('cut_code cuts it like prose, and closes the block it cuts into', async () => {
    const out = await synthesize(rows, est(rows), { seed: 4, cut_code: true }, byteTokenize);
    for (const r of out.filter((x) => x.kind === 'reflective')) {
      const [attempt] = decode(r.response_token_ids).split(`\n${HINT_AFTER_CODE}\n`) as [string];
      // ```python and 9 program lines, then the closing fence.
      const lines = attempt.split('\n');
      expect(lines).toHaveLength(11);
      expect(lines[0]).toBe('```python');
      expect(lines[10]).toBe('```');
    }
  });

  it('failedAttemptText and closeFences', () => {
    const opts = { cut_lines: 2, cut_answer: true, cut_code: false };
    const program = '```python\nx = 1\nprint(x)\n```\n```output\n1\n```\nThe answer is \\boxed{1}.\n\n';
    expect(failedAttemptText(program, 'code', opts)).toBe(program.trimEnd());
    expect(failedAttemptText(program, 'code', { ...opts, cut_code: true })).toBe('```python\nx = 1\n```');
    expect(failedAttemptText('a\nb\nc', 'cot', opts)).toBe('a\nb');
    // A program truncated by the token budget inside its block is closed too.
    expect(failedAttemptText('```python\nx = ', 'code', opts)).toBe('```python\nx =\n```');
    expect(closeFences('```python\nx\n```\n```output\n1')).toBe('```python\nx\n```\n```output\n1\n```');
    expect(closeFences('no fences')).toBe('no fences');
  });
});

describe('synthesize: dropped queries and bad input', () => {
  it('drops all-wrong queries; keeps all-correct ones at +1 (or drops them with all_correct: drop)', async () => {
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
      queries_kept: 2,
      dropped_all_wrong: 1,
      dropped_all_correct: 0,
    });
    // 'right': decision cot (tie); its one cot rollout, +1, and its replay.
    expect(out.filter((r) => r.query_id === 'right').map((r) => [r.replay, r.advantage])).toEqual([
      [false, 1],
      [true, 1],
    ]);
    const old = await synthesizeWithStats(rows, est(rows), { seed: 1, all_correct: 'drop' }, byteTokenize);
    expect(old.stats).toMatchObject({ queries_kept: 1, dropped_all_wrong: 1, dropped_all_correct: 1 });
    expect(new Set(old.rows.map((r) => r.query_id))).toEqual(new Set(['mixed']));
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
  cut_code: fc.boolean(),
  replay_dictated: fc.boolean(),
  keep_other_correct: fc.boolean(),
  negative_samples: fc.boolean(),
  all_correct: fc.constantFrom('keep' as const, 'drop' as const),
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

type Params = typeof arbParams extends fc.Arbitrary<infer P> ? P : never;

/**
 * What the definitions give for one query, computed from counts alone: the pool is
 * min(⌈max/2⌉, F·C) reflective samples (reward 1) plus the exploratory candidates (rollouts with
 * the decision's method, or all with keep_other_correct); the selection is every reflective sample
 * plus min(room, emittable candidates).
 */
function expected(mine: RolloutForEm[], decision: 'cot' | 'code', p: Params) {
  const other = decision === 'cot' ? 'code' : 'cot';
  const F = mine.filter((r) => r.method === other && r.reward === 0).length;
  const C = mine.filter((r) => r.method === decision && r.reward === 1).length;
  const R = p.reflective ? Math.min(Math.ceil(p.max_per_query / 2), F * C) : 0;
  const E = p.exploratory ? mine.filter((r) => r.method === decision || p.keep_other_correct) : [];
  const n = R + E.length;
  const right = R + E.filter((r) => r.reward === 1).length;
  if (n === 0 || right === 0 || (right === n && p.all_correct === 'drop')) return null;
  const emittable = E.filter((r) => p.negative_samples || r.reward === 1).length;
  const q = right / n;
  const std = Math.sqrt(q * (1 - q));
  const advantage = (r: number) =>
    Math.min(p.adv_clip, Math.max(-p.adv_clip, right === n ? 1 : (r - q) / (std + 1e-6)));
  return { reflective: R, exploratory: Math.min(p.max_per_query - R, emittable), advantage };
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

  it('row invariants: lengths, clipping, caps, prompts, ids, rescore, determinism', async () => {
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
          if (!p.negative_samples) expect(r.reward).toBe(1);
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
          expect(main.length).toBeLessThanOrEqual(p.max_per_query);
          expect(main.filter((r) => r.kind === 'reflective').length).toBeLessThanOrEqual(
            Math.ceil(p.max_per_query / 2),
          );
          for (const r of main) expect(r.prompt_token_ids).toEqual(native.prompt_token_ids);
          const decision = c.estimates.find((e) => e.query_id === q)?.decision;
          for (const r of list) expect(r.decision).toBe(decision);
          const dictated = (r: TrainRow) =>
            mine.some((s) => s.mode !== 'native' && s.response_token_ids === r.response_token_ids);
          for (const r of list) {
            expect(r.rescore).toBe(r.kind === 'reflective' || (!r.replay && dictated(r)));
          }
          const replays = list.filter((r) => r.replay);
          const dictatedMain = main.filter((r) => r.kind === 'exploratory' && dictated(r));
          expect(replays).toHaveLength(p.replay_dictated ? dictatedMain.length : 0);
          // Exploratory samples follow the decision, unless outcome RL.
          const methodOf = (r: TrainRow) =>
            mine.find((s) => s.response_token_ids === r.response_token_ids)?.method;
          if (!p.keep_other_correct) {
            for (const r of list.filter((x) => x.kind === 'exploratory')) expect(methodOf(r)).toBe(decision);
          }
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

  it('kept queries, counts and advantages match the pool computed by hand from counts', async () => {
    await fc.assert(
      fc.asyncProperty(arbCase, async (c) => {
        const { rows: out } = await run(c);
        for (const q of new Set(c.rows.map((r) => r.query_id))) {
          const mine = c.rows.filter((r) => r.query_id === q);
          const decision = c.estimates.find((e) => e.query_id === q)?.decision as 'cot' | 'code';
          const want = expected(mine, decision, c.params);
          const got = out.filter((r) => r.query_id === q && !r.replay);
          if (want === null) {
            expect(got).toHaveLength(0);
            continue;
          }
          expect(got.filter((r) => r.kind === 'reflective')).toHaveLength(want.reflective);
          expect(got.filter((r) => r.kind === 'exploratory')).toHaveLength(want.exploratory);
          for (const r of got) expect(r.advantage).toBeCloseTo(want.advantage(r.reward), 9);
        }
      }),
      { numRuns: 150 },
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
          const source = mine.filter(
            (x) =>
              x.method === failedMethod &&
              x.reward === 0 &&
              (x.method === 'code' && !c.params.cut_code
                ? x.response_text.trimEnd() === attempt // a failed program whole
                : cutAttempt(x.response_text, cutLines, cutAnswer) === attempt),
          );
          expect(source.length).toBeGreaterThan(0);
          // Never inside an open code block: fence lines pair up.
          expect(attempt.split('\n').filter((l) => l.startsWith('```')).length % 2).toBe(0);
          if (failedMethod === 'cot' || c.params.cut_code) {
            // Prose has no fences here; a cut program gets one closing fence line.
            expect(attempt.split('\n').length).toBeLessThanOrEqual(
              cutLines + (failedMethod === 'code' ? 1 : 0),
            );
          }
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
