import { afterAll, describe, expect, it } from 'vitest';
import {
  contentKey,
  lookup,
  openWriter,
  queryStore,
  readDataset,
  readPart,
  readRows,
  streamRows,
  verify,
  writeDataset,
} from '../../engines/store';
import type { Row } from '../../schemas/datasets';
import { DatasetRef } from '../../schemas/store';
import { keyFor, PRODUCER, rng, rolloutRow, tempStore } from './fixtures';
import { python } from './python';

const store = tempStore();
afterAll(() => store.cleanup());

const r = rng(42);
const rows: Row[] = Array.from({ length: 700 }, (_, i) => rolloutRow(r, i));

async function writeRollouts(params: Record<string, unknown>): Promise<DatasetRef> {
  const key = keyFor(params);
  const w = openWriter({
    kind: 'rollouts',
    key,
    producer: PRODUCER,
    params,
    root: store.root,
    rowGroupRows: 128,
  });
  await w.writePart(0, rows.slice(0, 400));
  await w.writePart(1, rows.slice(400));
  return w.finish(2);
}

// Python side: read the TypeScript entry by its manifest (verifying every file), write its table
// back with pyarrow as a new entry under the key Python computes, print that ref.
const PY_ROUNDTRIP = `
import json, sys
from autocode_gpu import store
ref = json.loads(sys.argv[1]); root = sys.argv[2]
table = store.read_dataset(ref)
key = store.content_key("pyCopy", "1", {"of": ref["key"], "alpha": 0.5, "k": 8}, {"src": ref})
d = store.entry_dir("rollouts", key, root)
store.write_part(d, 0, table.slice(0, 300), row_group_size=100)
store.write_part(d, 1, table.slice(300))
print(json.dumps(store.write_manifest(d, kind="rollouts", schema_version=1,
  producer={"activity": "pyCopy", "version": "1"}, params={"of": ref["key"]}, inputs={"src": ref})))
`;

describe('TS -> Parquet -> pyarrow -> Parquet -> TS', () => {
  it('reads back identical rows, keys and refs on both sides', async () => {
    const ref = await writeRollouts({ case: 'roundtrip' });
    expect(DatasetRef.parse(ref).rows).toBe(700);
    const pyRef = DatasetRef.parse(JSON.parse(python(PY_ROUNDTRIP, [JSON.stringify(ref), store.root])));
    // Both languages compute the same content key for the same spec.
    expect(pyRef.key).toBe(
      contentKey({
        producer: { activity: 'pyCopy', version: '1' },
        params: { k: 8, alpha: 0.5, of: ref.key },
        inputs: { src: ref },
      }),
    );
    expect(await lookup('rollouts', pyRef.key, store.root)).toEqual(pyRef);
    expect(await verify(pyRef)).toEqual(pyRef);
    const back = await readRows(pyRef);
    expect(back).toEqual(rows);
    expect(back[0]?.behavior_logprobs).toEqual(rows[0]?.behavior_logprobs);
    const streamed: Row[] = [];
    for await (const row of streamRows(pyRef, { columns: ['query_id', 'loss_mask'] })) streamed.push(row);
    expect(streamed).toEqual(rows.map((x) => ({ query_id: x.query_id, loss_mask: x.loss_mask })));
  });

  it('DuckDB reads the files of both writers as the same rows', async () => {
    const ref = await writeRollouts({ case: 'duckdb' });
    const viaDuck = await queryStore('SELECT * FROM {r}', { r: ref }, { threads: 1 });
    expect(viaDuck).toEqual(rows);
    const pyRef = DatasetRef.parse(JSON.parse(python(PY_ROUNDTRIP, [JSON.stringify(ref), store.root])));
    const agg = await queryStore(
      'SELECT count(*) AS n, sum(reward) AS reward, sum(len(behavior_logprobs)) AS tokens, count(method) AS with_method FROM {r}',
      { r: pyRef },
    );
    expect(agg).toEqual([
      {
        n: 700,
        reward: rows.reduce((s, x) => s + (x.reward as number), 0),
        tokens: rows.reduce((s, x) => s + (x.behavior_logprobs as number[]).length, 0),
        with_method: rows.filter((x) => x.method !== null).length,
      },
    ]);
  });

  it('reads by column projection and part by part', async () => {
    const ref = await writeRollouts({ case: 'projection' });
    const t = await readDataset(ref, { columns: ['reward', 'query_id'] });
    expect(t.schema.fields.map((f) => f.name)).toEqual(['reward', 'query_id']);
    expect(t.getChild('query_id')?.toArray()).toEqual(rows.map((x) => x.query_id));
    const p1 = await readPart(ref, 1, { columns: ['sample'] });
    expect(p1.numRows).toBe(300);
    expect([...(p1.getChild('sample')?.toArray() ?? [])]).toEqual(rows.slice(400).map((x) => x.sample));
  });

  it('writeDataset cuts a row stream into parts; an empty dataset has no parts and an empty table', async () => {
    async function* gen() {
      yield* rows;
    }
    const params = { case: 'stream' };
    const ref = await writeDataset(
      { kind: 'rollouts', key: keyFor(params), producer: PRODUCER, params, root: store.root },
      gen(),
      {
        rowsPerPart: 300,
      },
    );
    expect(ref.rows).toBe(700);
    expect(await readRows(ref)).toEqual(rows);
    const empty = await writeDataset(
      { kind: 'queries', key: keyFor({ case: 'empty' }), producer: PRODUCER, params: {}, root: store.root },
      [],
    );
    expect(empty.rows).toBe(0);
    const t = await readDataset(empty);
    expect(t.numRows).toBe(0);
    expect(t.schema.fields.map((f) => f.name)).toContain('question');
  });
});
