// A run directory as emRun leaves it (spec.json, iter-<k>/<node>.json, report.json), with three
// evaluated iterations: 0 (the starting policy) and two EM iterations with training nodes. Values are
// chosen so every table cell has one right text (see the tests' expectations).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Metrics } from '../../schemas/run';

export const ITERATIONS = [0, 1, 2] as const;

/** Evaluation metrics of iteration k (gsm8k has selection labels; tiny_world/add does not). */
export function evalMetrics(k: number): Metrics {
  const r = (x: number) => Number(x.toFixed(4));
  const m: Metrics = {
    'gsm8k.cot.accuracy': r(0.5 + 0.05 * k),
    'gsm8k.cot.code_rate': 0,
    'gsm8k.code.accuracy': r(0.6 + 0.02 * k),
    'gsm8k.code.code_rate': 1,
    'gsm8k.auto.accuracy': r(0.55 + 0.06 * k),
    'gsm8k.auto.code_rate': r(0.4 + 0.1 * k),
    'tiny_world/add.cot.accuracy': 0.25,
    'tiny_world/add.code.accuracy': 1,
    'tiny_world/add.auto.accuracy': r(0.5 + 0.25 * k),
    'tiny_world/add.auto.code_rate': r(0.5 + 0.25 * k),
    // Recorded by the evaluation: the report shows it as recorded.
    'tiny_world/add.auto.gain': r(-0.5 + 0.25 * k),
    'gsm8k.selection.n': 200,
    'gsm8k.selection.macc': r(0.7 + 0.05 * k),
    'gsm8k.selection.acc_cot': r(0.6 + 0.1 * k),
    'gsm8k.selection.acc_code': r(0.8 - 0.05 * k),
    'gsm8k.selection.acc_within_correct': 0.9,
    'gsm8k.selection.align_n': 110 + k,
    'gsm8k.selection.strict_align': r(0.5 + 0.1 * k),
    'gsm8k.selection.allow_code': 0.2,
    'gsm8k.selection.mis_align': r(0.3 - 0.1 * k),
  };
  const confusion: Record<string, [number, number]> = {
    cot: [50 + k, 10],
    code: [8, 90 - k],
    tie: [20, 22],
  };
  for (const [label, [cot, code]] of Object.entries(confusion)) {
    m[`gsm8k.selection.confusion.${label}.cot`] = cot;
    m[`gsm8k.selection.confusion.${label}.code`] = code;
  }
  return m;
}

const node = (
  node_id: string,
  uses: string,
  output: string,
  metrics: Metrics,
  checkpoint: unknown = null,
) => ({
  node_id,
  uses,
  output,
  dataset: null,
  extra: {},
  checkpoint,
  metrics,
  cached: false,
});

function write(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Rollout rewards of iteration k per mode; rows differ per node so the mean is weighted. */
export const REWARD = (k: number) => ({
  dictated_cot: 0.25 * k,
  dictated_code: 0.5 + 0.125 * k,
  native: 0.375,
});

/**
 * Writes `<runs>/<runId>/` and returns its path. `summary: false` leaves out report.json (a run still
 * going); the node files alone must give the same report.
 */
export function writeRunFixture(runs: string, runId: string, opts: { summary?: boolean } = {}): string {
  const dir = join(runs, runId);
  mkdirSync(dir, { recursive: true });
  write(join(dir, 'spec.json'), { input: { spec: 'tiny' }, spec: { name: 'tiny', iterations: 2 } });
  const summaries = [];
  for (const k of ITERATIONS) {
    const it = join(dir, `iter-${k}`);
    mkdirSync(it, { recursive: true });
    write(join(it, 'evaluate.json'), node('evaluate', 'evaluate', 'eval', evalMetrics(k)));
    const nodes: Record<string, { cached: boolean; metrics: Metrics }> = {};
    if (k > 0) {
      const rw = REWARD(k);
      const rollouts = [
        node('rollouts_cot', 'rollouts', 'rollouts', {
          rows: 96,
          'reward.dictated_cot': rw.dictated_cot,
          'rows.dictated_cot': 96,
        }),
        node('rollouts_code', 'rollouts', 'rollouts', {
          rows: 96,
          'reward.dictated_code': rw.dictated_code,
          'rows.dictated_code': 96,
        }),
        // Native split over two nodes of 32 and 96 rows: 0.75 and 0.25 average (weighted) to 0.375.
        node('rollouts_native_a', 'rollouts', 'rollouts', { 'reward.native': 0.75, 'rows.native': 32 }),
        node('rollouts_native_b', 'rollouts', 'rollouts', { 'reward.native': 0.25, 'rows.native': 96 }),
      ];
      for (const r of rollouts) write(join(it, `${r.node_id}.json`), r);
      write(
        join(it, 'synthesize.json'),
        node('synthesize', 'synthesize', 'train', {
          samples: 100 * k + 20,
          exploratory: 60 * k,
          reflective: 40 * k,
          replay: 20,
        }),
      );
      // The behaviour record: iteration 1 as float32 agrees (1e-6), iteration 2 with a drifting sampler.
      write(
        join(it, 'behavior.json'),
        node('behavior', 'behavior_logprobs', 'train', {
          rows: 100 * k + 20,
          drift_mean_abs: k === 1 ? 1.2e-6 : 0.0125,
          drift_max_abs: k === 1 ? 4e-6 : 1.75,
          drift_share_above: k === 1 ? 0 : 0.004,
        }),
      );
      write(
        join(it, 'update.json'),
        node(
          'update',
          'policy_update',
          'checkpoint',
          { final_loss: 1.5 / k, steps: 10 },
          {
            uri: `/ckpt/p${k}`,
            key: `p${k}`,
          },
        ),
      );
      write(join(it, 'estimate.json'), node('estimate', 'estimate', 'estimates', { queries: 32 }));
    }
    summaries.push({ iteration: k, policy: `p${k}`, metrics: evalMetrics(k), nodes });
  }
  if (opts.summary ?? true)
    write(join(dir, 'report.json'), { run_id: runId, spec_name: 'tiny', iterations: summaries });
  return dir;
}
