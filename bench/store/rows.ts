// The bench's rollout rows: ~1.5 KB of response text, ~400 response tokens with float32 log-probs and
// a loss mask, ~100 prompt tokens. A pool of distinct rows is cycled so generation costs nothing
// inside the timed loops; query_id and sample vary per row.
import type { Row } from '../../schemas/datasets';
import { rng } from '../../test/store/fixtures';

const VOCAB = (
  'we the of and to a is in that it for so let x y n answer number sum total each find then ' +
  'since therefore equation solve step first second value = + - * / ( ) 1 2 3 4 5 6 7 8 9 0 ' +
  'print def return import math sympy result boxed \\frac{1}{2} \\sqrt{3} remainder product'
).split(' ');

export function poolRow(r: () => number, i: number, small: boolean): Row {
  const tokens = small ? 8 : 360 + Math.floor(r() * 80);
  const words: string[] = [];
  let len = 0;
  const want = small ? 40 : 1400 + Math.floor(r() * 200);
  while (len < want) {
    const w = VOCAB[Math.floor(r() * VOCAB.length)] as string;
    words.push(w);
    len += w.length + 1;
  }
  return {
    query_id: `q${i}`,
    iteration: 0,
    mode: ['dictated_cot', 'dictated_code', 'native'][i % 3],
    sample: 0,
    method: r() < 0.5 ? 'cot' : 'code',
    rounds: 1,
    code_calls: 0,
    prompt_token_ids: Array.from({ length: small ? 4 : 100 }, () => Math.floor(r() * 150_000)),
    response_text: words.join(' '),
    response_token_ids: Array.from({ length: tokens }, () => Math.floor(r() * 150_000)),
    behavior_logprobs: Array.from({ length: tokens }, () => Math.fround(Math.log(r() ** 3 + 1e-6))),
    loss_mask: Array.from({ length: tokens }, () => (r() < 0.95 ? 1 : 0)),
    final_answer: String(Math.floor(r() * 100)),
    reward: r() < 0.5 ? 1 : 0,
    finish_reason: 'stop',
    policy: 'bench',
    error: null,
  };
}

export function makePool(size: number, small = false, seed = 7): Row[] {
  const r = rng(seed);
  return Array.from({ length: size }, (_, i) => poolRow(r, i, small));
}

/** Row i of the bench table: pool row i % pool.length with its own query id and sample. */
export function* benchRows(pool: Row[], n: number, queries: number): Generator<Row> {
  for (let i = 0; i < n; i++) {
    const base = pool[i % pool.length] as Row;
    yield { ...base, query_id: `q${i % queries}`, sample: Math.floor(i / queries) };
  }
}
