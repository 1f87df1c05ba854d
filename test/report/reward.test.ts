// The rollouts node's reward figures: mean reward per mode over every part of a real rollouts dataset.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRunReport } from '../../engines/report/load';
import { rewardByMode } from '../../engines/rollouts/mode-rewards';
import { writeDataset } from '../../engines/store/writer';
import { keyFor, PRODUCER, rng, rolloutRow, tempStore } from '../store/fixtures';

const store = tempStore();
const EXPECTED = {
  'reward.dictated_code': 0.75,
  'rows.dictated_code': 4,
  'reward.dictated_cot': 0.25,
  'rows.dictated_cot': 4,
  'reward.native': 0.5,
  'rows.native': 4,
};
afterAll(() => store.cleanup());

describe('rewardByMode', () => {
  it('averages the reward per mode across parts and counts the rows', async () => {
    const r = rng(7);
    // Correct: dictated_cot 1 in 4, dictated_code 3 in 4, native 2 in 4 (rows of a mode in both parts).
    const correct: Record<string, number[]> = {
      dictated_cot: [1, 0, 0, 0],
      dictated_code: [1, 1, 0, 1],
      native: [0, 1, 1, 0],
    };
    const seen: Record<string, number> = { dictated_cot: 0, dictated_code: 0, native: 0 };
    const rows = Array.from({ length: 12 }, (_, i) => {
      const row = rolloutRow(r, i);
      const mode = row.mode as string;
      row.reward = correct[mode]?.[seen[mode]!++] ?? 0;
      return row;
    });
    const params = { case: 'reward' };
    const ref = await writeDataset(
      { kind: 'rollouts', key: keyFor(params), producer: PRODUCER, params, root: store.root },
      rows,
      { rowsPerPart: 5 },
    );
    expect(ref.rows).toBe(12);
    expect(await rewardByMode(ref)).toEqual(EXPECTED);

    // A rollouts node recorded without these figures (older runs): the report counts them from its dataset.
    const dir = join(store.root, 'runs', 'old');
    mkdirSync(join(dir, 'iter-1'), { recursive: true });
    const node = {
      node_id: 'rollouts',
      uses: 'rollouts',
      output: 'rollouts',
      dataset: ref,
      metrics: { rows: 12 },
    };
    writeFileSync(join(dir, 'iter-1', 'rollouts.json'), JSON.stringify(node));
    const data = await loadRunReport(dir);
    expect(data.iterations[0]?.training?.reward).toEqual({
      dictated_code: 0.75,
      dictated_cot: 0.25,
      native: 0.5,
    });
    expect(data.iterations[0]?.training?.rollouts).toEqual({ dictated_code: 4, dictated_cot: 4, native: 4 });
  });

  it('records nothing for an empty rollouts dataset', async () => {
    const params = { case: 'empty' };
    const ref = await writeDataset(
      { kind: 'rollouts', key: keyFor(params), producer: PRODUCER, params, root: store.root },
      [],
    );
    expect(await rewardByMode(ref)).toEqual({});
  });
});
