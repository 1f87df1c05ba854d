import { afterAll, describe, expect, it } from 'vitest';
import { tempStore } from './fixtures';

const store = tempStore();
afterAll(() => store.cleanup());
// The activities use the default store root, read from the environment at import.
process.env.AUTOCODE_STORE = store.root;
const { prepareQueries, storeLookup, storeVerify } = await import('../../services/store');
const { readRows, resolveUri } = await import('../../engines/store');

describe('store activities', () => {
  it('prepareQueries writes a queries dataset once, then answers from the store', async () => {
    const input = { benchmarks: [{ name: 'amc23', split: 'test' }, { name: 'aime24' }], limit: 10 };
    const ref = await prepareQueries(input);
    // Named relative to the store root, resolved here against this host's root.
    expect(ref.uri).toBe(`store:queries/${ref.key}`);
    expect(resolveUri(ref.uri).startsWith(store.root)).toBe(true);
    expect(ref.rows).toBe(20);
    const rows = await readRows(ref, { columns: ['query_id', 'source'] });
    expect(rows[0]).toEqual({ query_id: 'amc23/test/0', source: 'amc23' });
    expect(rows[19]).toEqual({ query_id: 'aime24/test/9', source: 'aime24' });
    expect(await prepareQueries(input)).toEqual(ref);
    expect(await storeLookup({ kind: 'queries', key: ref.key })).toEqual(ref);
    expect(await storeVerify(ref)).toEqual(ref);
    expect((await prepareQueries({ ...input, limit: 5 })).key).not.toBe(ref.key);
  });

  it('bad inputs are non-retryable and name the field or benchmark', async () => {
    await expect(prepareQueries({ benchmarks: [] })).rejects.toMatchObject({
      type: 'InvalidInput',
      nonRetryable: true,
      message: expect.stringContaining('prepareQueries: benchmarks'),
    });
    await expect(prepareQueries({ benchmarks: [{ name: 'nope' }] })).rejects.toMatchObject({
      type: 'UnknownBenchmark',
      nonRetryable: true,
      message: expect.stringContaining('unknown benchmark "nope"'),
    });
  });
});
