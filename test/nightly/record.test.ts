import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRegressions } from '../../services/nightly/compare';

const root = mkdtempSync(join(tmpdir(), 'autocode-nightly-'));
process.env.AUTOCODE_VAR = root;
const { recordNightly } = await import('../../services/nightly/activities');
const { historyPath } = await import('../../services/nightly/history');

const checkpoint = { uri: '/ckpt/a', key: 'a'.repeat(64) };

describe('nightly comparison', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('marks accuracy and selection mAcc drops beyond the threshold, nothing else', () => {
    const previous = {
      'gsm8k.auto.accuracy': 0.7,
      'gsm8k.cot.accuracy': 0.6,
      'gsm8k.code.accuracy': 0.5,
      'gsm8k.auto.code_rate': 0.9,
      'gsm8k.selection.macc': 0.8,
      'math500.auto.accuracy': 0.4,
    };
    const current = {
      'gsm8k.auto.accuracy': 0.68, // -0.02: at the threshold, not beyond it
      'gsm8k.cot.accuracy': 0.5, // -0.10
      'gsm8k.code.accuracy': 0.55, // better
      'gsm8k.auto.code_rate': 0.1, // a rate, not a score
      'gsm8k.selection.macc': 0.75, // -0.05
      'tiny_world.auto.accuracy': 0.1, // new benchmark: nothing to compare with
    };
    expect(findRegressions(previous, current, 0.02)).toEqual([
      { metric: 'gsm8k.cot.accuracy', previous: 0.6, current: 0.5, drop: 0.1 },
      { metric: 'gsm8k.selection.macc', previous: 0.8, current: 0.75, drop: 0.05 },
    ]);
    expect(findRegressions(previous, current, 0.2)).toEqual([]);
  });

  it('records each night once, compared with the one before', async () => {
    const first = await recordNightly({
      schedule: 's1',
      eval_id: 'n1',
      checkpoint,
      metrics: { 'tiny_world.auto.accuracy': 0.5 },
      threshold: 0.02,
    });
    expect(first.previous_eval_id).toBeNull();
    expect(first.regressions).toEqual([]);
    const second = await recordNightly({
      schedule: 's1',
      eval_id: 'n2',
      checkpoint,
      metrics: { 'tiny_world.auto.accuracy': 0.25 },
      threshold: 0.02,
    });
    expect(second.previous_eval_id).toBe('n1');
    expect(second.regressions.map((r) => r.metric)).toEqual(['tiny_world.auto.accuracy']);
    // A retried activity gets the same record back and appends nothing.
    const again = await recordNightly({
      schedule: 's1',
      eval_id: 'n2',
      checkpoint,
      metrics: { 'tiny_world.auto.accuracy': 0.9 },
      threshold: 0.02,
    });
    expect(again).toEqual(second);
    const history = JSON.parse(readFileSync(historyPath('s1'), 'utf8')) as { eval_id: string }[];
    expect(history.map((h) => h.eval_id)).toEqual(['n1', 'n2']);
  });

  it('refuses a corrupt history, naming the file, and leaves it as it was', async () => {
    await recordNightly({ schedule: 's2', eval_id: 'n1', checkpoint, metrics: {}, threshold: 0.02 });
    writeFileSync(historyPath('s2'), '[{"eval_id": ');
    await expect(
      recordNightly({ schedule: 's2', eval_id: 'n2', checkpoint, metrics: {}, threshold: 0.02 }),
    ).rejects.toThrow(new RegExp(`nightly history ${historyPath('s2')} is not a valid history`));
    expect(readFileSync(historyPath('s2'), 'utf8')).toBe('[{"eval_id": ');
  });
});
