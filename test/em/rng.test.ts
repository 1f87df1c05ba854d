import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, stableId } from '../../engines/em/rng';

describe('seeded randomness', () => {
  it('pick returns min(k, n) distinct indices in range', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 250 }),
        fc.integer(),
        (n, k, seed) => {
          const got = new Rng([seed, 'q']).pick(n, k);
          expect(got).toHaveLength(Math.min(n, k));
          expect(new Set(got).size).toBe(got.length);
          for (const i of got) expect(Number.isInteger(i) && i >= 0 && i < n).toBe(true);
        },
      ),
    );
  });

  it('pick(n, n) is a permutation, roughly uniform over the first position', () => {
    const counts = [0, 0, 0, 0];
    for (let s = 0; s < 4000; s++) {
      const first = new Rng([s]).pick(4, 4)[0] as number;
      counts[first] = (counts[first] ?? 0) + 1;
    }
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });

  it('same parts, same stream; different parts, different stream', () => {
    const a = new Rng([1, 'q', 'decision']);
    const b = new Rng([1, 'q', 'decision']);
    const c = new Rng([1, 'q', 'reflective']);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('stableId is 32 hex characters and separates its parts', () => {
    expect(stableId(['q', 'exploratory', 'native', 0, false])).toMatch(/^[0-9a-f]{32}$/);
    expect(stableId(['ab', 'c'])).not.toBe(stableId(['a', 'bc']));
  });
});
