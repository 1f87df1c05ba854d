// The labelled corpus: every case must get its hand label (reward semantics: equal === true).
// Timing is not under test here (a generous bound keeps a loaded machine from flipping a
// verdict to undecided); hostile.test.ts covers the time bound.
import { describe, expect, it } from 'vitest';
import { grade, isEquivalent } from '../../engines/grader/index';
import { readCorpus } from './corpus';

const cases = readCorpus();

const classes = [...new Set(cases.map((c) => c.class))];

describe('grader corpus', () => {
  it('has at least 500 cases covering every answer class, both labels in each', () => {
    expect(cases.length).toBeGreaterThanOrEqual(500);
    for (const cls of [
      'extract',
      'exact',
      'number',
      'percent',
      'units',
      'fraction',
      'latex',
      'degrees',
      'complex',
      'tuple',
      'interval',
      'set',
      'list',
      'equation',
      'matrix',
      'symbolic',
      'choice',
      'text',
    ]) {
      const of = cases.filter((c) => c.class === cls);
      expect(
        of.some((c) => c.equal),
        cls,
      ).toBe(true);
      expect(
        of.some((c) => !c.equal),
        cls,
      ).toBe(true);
    }
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  it.each(classes)('%s cases get their labels', (cls) => {
    const wrong: string[] = [];
    for (const c of cases.filter((x) => x.class === cls)) {
      const r =
        c.response !== undefined
          ? grade(c.gold, c.response, { timeoutMs: 5000 })
          : isEquivalent(c.gold, c.pred as string, { timeoutMs: 5000 });
      if ((r.equal === true) !== c.equal)
        wrong.push(`${c.id}: ${c.gold} vs ${c.pred ?? c.response} → ${r.equal} (${r.reason})`);
    }
    expect(wrong).toEqual([]);
  });
});
