// `evaluate.selection_at: last`: only the run's last evaluation draws selection labels.
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../pipelines/load';
import { nodesForIteration } from '../../workflows/selection-schedule';

const labels = (nodes: ReturnType<typeof nodesForIteration>) =>
  nodes.map((n) => [n.id, (n.params as { selection_labels?: number }).selection_labels]);

describe('selection labels per iteration', () => {
  it('tiny.yaml labels only the last of its 2 iterations; other nodes are untouched', () => {
    const spec = loadSpec('tiny');
    const evaluate = (k: number) =>
      labels(nodesForIteration(spec.iteration.nodes, k, spec.iterations)).find(([id]) => id === 'evaluate');
    // The starting policy (0) and iteration 1 skip the labels; iteration 2 draws k = 4.
    expect([evaluate(0), evaluate(1), evaluate(2)]).toEqual([
      ['evaluate', 0],
      ['evaluate', 0],
      ['evaluate', 4],
    ]);
    const untouched = nodesForIteration(spec.iteration.nodes, 1, 2).filter((n) => n.uses !== 'evaluate');
    expect(untouched).toEqual(spec.iteration.nodes.filter((n) => n.uses !== 'evaluate'));
  });

  it('selection_at: every (the default) labels every evaluation', () => {
    const spec = loadSpec('tiny', { 'defaults.evaluate.selection_at': 'every' });
    for (const k of [0, 1, 2]) {
      const e = nodesForIteration(spec.iteration.nodes, k, 2).find((n) => n.uses === 'evaluate');
      if (!e) throw new Error('tiny.yaml has no evaluate node');
      expect((e.params as { selection_labels: number }).selection_labels).toBe(4);
    }
  });
});
