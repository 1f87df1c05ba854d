// E-step timing on 100k rollout rows (6,250 queries × 16 rollouts: 5 dictated cot, 5 dictated
// code, 6 native). Peer figure from the same run: one bare pass grouping rows into a Map by query,
// the least any per-query estimator has to do. Run: npx tsx bench/em/estimate.ts
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  estimate,
  type Method,
  type Mode,
  type RolloutForEm,
  synthesize,
  type TrainRow,
} from '../../engines/em';

const QUERIES = 6250;
const PLAN: [Mode, number][] = [
  ['dictated_cot', 5],
  ['dictated_code', 5],
  ['native', 6],
];

// Token columns are shared between rows (estimate never reads them; synthesize only copies
// references or concatenates), so the bench measures the E-step, not the allocator.
const text = Array.from({ length: 14 }, (_, i) => `step ${i}: some reasoning here`).join('\n');
const ids = [...Buffer.from(text)];
const mask = ids.map(() => 1);
const logp = ids.map(() => -0.3);

function rows(): RolloutForEm[] {
  const out: RolloutForEm[] = [];
  let x = 12345;
  const rand = () => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x / 4294967296;
  };
  for (let q = 0; q < QUERIES; q++) {
    const prompt = [q % 384, 1, 2, 3];
    for (const [mode, k] of PLAN) {
      for (let s = 0; s < k; s++) {
        const method: Method =
          mode === 'dictated_cot' ? 'cot' : mode === 'dictated_code' ? 'code' : rand() < 0.5 ? 'cot' : 'code';
        out.push({
          query_id: `q${q}`,
          mode,
          sample: s,
          method,
          reward: rand() < (method === 'code' ? 0.6 : 0.4) ? 1 : 0,
          prompt_token_ids: prompt,
          response_text: text,
          response_token_ids: ids,
          behavior_logprobs: logp,
          loss_mask: mask,
        });
      }
    }
  }
  return out;
}

function best(label: string, repeats: number, fn: () => unknown): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  console.log(`${label.padEnd(44)} ${min.toFixed(1).padStart(8)} ms (best of ${repeats})`);
  return min;
}

const data = rows();
console.log(
  `rows ${data.length}, queries ${QUERIES}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const peer = best('peer: group rows by query (Map)', 5, () => {
  const m = new Map<string, RolloutForEm[]>();
  for (const r of data) {
    const g = m.get(r.query_id);
    if (g) g.push(r);
    else m.set(r.query_id, [r]);
  }
  return m;
});
const hard = best('estimate alpha = 0', 5, () => estimate(data, { seed: 1 }));
const soft = best('estimate alpha = 0.5 (sampled decisions)', 5, () =>
  estimate(data, { alpha: 0.5, seed: 1 }),
);
console.log(
  `ratio estimate/peer: alpha 0 ${(hard / peer).toFixed(1)}x, alpha 0.5 ${(soft / peer).toFixed(1)}x`,
);

const estimates = estimate(data, { seed: 1 });
const tokenize = async (t: string) => [...Buffer.from(t)];
async function timeSynthesize(label: string, params: { seed: number; reflective?: boolean }) {
  let min = Number.POSITIVE_INFINITY;
  let out: TrainRow[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    out = await synthesize(data, estimates, params, tokenize);
    min = Math.min(min, performance.now() - t);
  }
  const tokens = out.reduce((a, r) => a + r.response_token_ids.length, 0);
  console.log(
    `${label.padEnd(44)} ${min.toFixed(1).padStart(8)} ms (best of 3), ${out.length} train rows, ${tokens} response tokens`,
  );
  console.log(`ratio ${label.split(' (')[0]}/peer: ${(min / peer).toFixed(1)}x`);
}
await timeSynthesize('synthesize (byte tokenizer in process)', { seed: 1 });
await timeSynthesize('synthesize reflective: false', { seed: 1, reflective: false });
