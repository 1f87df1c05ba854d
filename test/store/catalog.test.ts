import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contentKey, listUnreferenced, lookup, openWriter, writeDataset } from '../../engines/store';
import { PRODUCER, rng, rolloutRow, tempStore } from './fixtures';

const store = tempStore();
afterAll(() => store.cleanup());

describe('content keys and the catalog', () => {
  it("a key depends on producer, version, params and the inputs' keys, not on key order or input bytes", () => {
    const input = { kind: 'queries', key: 'a'.repeat(64), sha256: 'b'.repeat(64) };
    const base = contentKey({ producer: PRODUCER, params: { alpha: 0.1, k: 8 }, inputs: { queries: input } });
    expect(contentKey({ producer: PRODUCER, params: { k: 8, alpha: 0.1 }, inputs: { queries: input } })).toBe(
      base,
    );
    // A redone input (other bytes, same key) leaves the key alone.
    expect(
      contentKey({
        producer: PRODUCER,
        params: { alpha: 0.1, k: 8 },
        inputs: { queries: { ...input, sha256: 'd'.repeat(64) } },
      }),
    ).toBe(base);
    // The value Python's content_key gives (gpu/tests/test_store.py): sha256 of the hand-written
    // canonical JSON; an input from outside the store (no key) by its content hash.
    expect(
      contentKey({
        producer: { activity: 'x', version: '1' },
        params: { alpha: 0.1, k: 8 },
        inputs: {
          q: { kind: 'queries', key: 'c'.repeat(64), sha256: 'e'.repeat(64) },
          s: { sha256: 'd'.repeat(64) },
        },
      }),
    ).toBe('cb7168462d683396af972c64c727604b462b3d6411f27d395dc21b3391b51146');
    const variants = [
      contentKey({ producer: PRODUCER, params: { alpha: 0.2, k: 8 }, inputs: { queries: input } }),
      contentKey({
        producer: { ...PRODUCER, version: '2' },
        params: { alpha: 0.1, k: 8 },
        inputs: { queries: input },
      }),
      contentKey({
        producer: { ...PRODUCER, activity: 'other' },
        params: { alpha: 0.1, k: 8 },
        inputs: { queries: input },
      }),
      contentKey({
        producer: PRODUCER,
        params: { alpha: 0.1, k: 8 },
        inputs: { queries: { ...input, key: 'd'.repeat(64) } },
      }),
      contentKey({ producer: PRODUCER, params: { alpha: 0.1, k: 8 } }),
    ];
    expect(new Set([base, ...variants]).size).toBe(6);
    expect(() => contentKey({ producer: PRODUCER, params: { alpha: Number.NaN } })).toThrow(
      /\$\.params\.alpha is NaN/,
    );
  });

  it('lists entries no run references, following manifest inputs', async () => {
    const r = rng(3);
    const mk = (name: string, inputs = {}) =>
      writeDataset(
        {
          kind: 'rollouts',
          key: contentKey({ producer: PRODUCER, params: { name } }),
          producer: PRODUCER,
          params: { name },
          inputs,
          root: store.root,
        },
        [rolloutRow(r, 0)],
      );
    const parent = await mk('parent');
    const child = await mk('child', { parent });
    const orphan = await mk('orphan');
    const unfinishedKey = contentKey({ producer: PRODUCER, params: { name: 'unfinished' } });
    await openWriter({
      kind: 'rollouts',
      key: unfinishedKey,
      producer: PRODUCER,
      params: {},
      root: store.root,
    }).writePart(0, [rolloutRow(r, 1)]);
    const runsDir = join(store.root, 'runs');
    mkdirSync(join(runsDir, 'run-1'), { recursive: true });
    writeFileSync(join(runsDir, 'run-1', 'synthesize.json'), JSON.stringify({ output: child }));
    const unreferenced = await listUnreferenced({ root: store.root, runsDir });
    expect(unreferenced.map((e) => e.key).sort()).toEqual([orphan.key, unfinishedKey].sort());
    expect(unreferenced.find((e) => e.key === unfinishedKey)?.finished).toBe(false);
    expect(unreferenced.every((e) => e.bytes > 0)).toBe(true);
    expect(await lookup('rollouts', unfinishedKey, store.root)).toBeNull();
    expect((await lookup('rollouts', parent.key, store.root))?.sha256).toBe(parent.sha256);
  });
});
