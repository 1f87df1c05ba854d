// The native (DuckDB) Parquet reader behind readDataset / readPart / streamDataset / readRows: values
// read back against the rows written, across many decoder chunks (2048 rows each) and row groups
// that do not line up with them, nulls, short (inline) and long strings, bool / float64 / NaN,
// projections that leave columns out, batch sizes, files from pyarrow, and damaged pages.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import {
  openWriter,
  readColumns,
  readDataset,
  readPart,
  readRows,
  sha256File,
  streamDataset,
  tableToRows,
  writeDataset,
} from '../../engines/store';
import { arrowSchema, kindSchema } from '../../engines/store/arrow-schema';
import { resolveUri } from '../../engines/store/locate';
import { CHUNK_ROWS, nativeParquetBatches } from '../../engines/store/native-read';
import { parquetInfo } from '../../engines/store/parquet';
import type { Row } from '../../schemas/datasets';
import type { DatasetRef } from '../../schemas/store';
import { keyFor, PRODUCER, rng, rolloutRow, tempStore } from './fixtures';
import { python } from './python';

const store = tempStore();
afterAll(() => store.cleanup());

const r = rng(2024);
// 5000 rows: several chunks per part, some strings inline in DuckDB's string_t (<= 12 bytes), one
// empty, most long; method / final_answer / error null on some rows.
const rows: Row[] = Array.from({ length: 5000 }, (_, i) => {
  const row = rolloutRow(r, i);
  if (i % 7 === 0) row.response_text = i % 14 === 0 ? '' : 'ok ünï';
  if (i % 500 === 3) row.response_token_ids = row.behavior_logprobs = row.loss_mask = [];
  return row;
});

async function rollouts(name: string, rowGroupRows = 1001): Promise<DatasetRef> {
  const params = { name };
  const w = openWriter({
    kind: 'rollouts',
    key: keyFor(params),
    producer: PRODUCER,
    params,
    root: store.root,
    rowGroupRows,
  });
  await w.writePart(0, rows.slice(0, 3500));
  await w.writePart(1, rows.slice(3500));
  return w.finish(2);
}

const pick = (row: Row, cols: readonly string[]) => Object.fromEntries(cols.map((c) => [c, row[c]]));

async function collect(ref: DatasetRef | string, opts: { columns?: string[]; batchRows?: number } = {}) {
  const sizes: number[] = [];
  const out: Row[] = [];
  let names: string[] | undefined;
  for await (const b of streamDataset(ref, opts)) {
    sizes.push(b.numRows);
    names ??= b.schema.fields.map((f: arrow.Field) => f.name);
    for (const row of tableToRows(new arrow.Table(b))) out.push(row);
  }
  return { sizes, rows: out, names };
}

describe('native Parquet reader', () => {
  it('reads back every value written, nulls and lists included, across chunks and row groups', async () => {
    const ref = await rollouts('all');
    const back = await readRows(ref);
    expect(back.length).toBe(rows.length);
    expect(back).toEqual(rows);
    expect(back.filter((x) => x.method === null).length).toBeGreaterThan(0);
    expect(back.filter((x) => x.response_text === '').length).toBeGreaterThan(0);
    const t = await readDataset(ref);
    expect(t.numRows).toBe(5000);
    expect(t.batches.every((b) => b.numRows <= CHUNK_ROWS)).toBe(true);
    expect(t.getChild('error')?.nullCount).toBe(rows.filter((x) => x.error === null).length);
  });

  it('streams batches of at most batchRows rows: chunks as they come, joined or sliced', async () => {
    const ref = await rollouts('batches', 777);
    for (const batchRows of [undefined, 5000, 4096, 3000, 700, 1]) {
      const got = await collect(ref, batchRows === undefined ? {} : { batchRows });
      expect(got.rows).toEqual(rows);
      const most = batchRows ?? CHUNK_ROWS;
      expect(Math.max(...got.sizes)).toBeLessThanOrEqual(most);
      expect(got.sizes.reduce((s, n) => s + n, 0)).toBe(5000);
      // Joining fills batches: one part of 3500 rows in batches of 3000 is two batches, not more.
      if (batchRows === 3000)
        expect(got.sizes.length).toBeLessThanOrEqual(2 * Math.ceil(3500 / CHUNK_ROWS) + 1);
    }
  });

  it('a part scanned in many windows, two at a time, comes back in row order', async () => {
    const ref = await rollouts('windows', 250);
    const path = join(resolveUri(ref.uri), 'part-00000.parquet');
    const info = await parquetInfo(path);
    expect(info.rowGroups).toEqual(Array.from({ length: 14 }, () => 250));
    const specs = kindSchema('rollouts').columns;
    for (const windowRows of [1, 600, 1000]) {
      const got: Row[] = [];
      const opts = { rowGroups: info.rowGroups, windowRows, batchRows: 300 };
      for await (const b of nativeParquetBatches(path, specs, arrowSchema(kindSchema('rollouts')), opts)) {
        expect(b.numRows).toBeLessThanOrEqual(300);
        got.push(...tableToRows(new arrow.Table(b)));
      }
      expect(got).toEqual(rows.slice(0, 3500));
    }
  });

  it('a stream left early stops its scan; the next reads are whole', async () => {
    const ref = await rollouts('early', 500);
    let seen = 0;
    for await (const b of streamDataset(ref, { columns: ['query_id', 'response_text'] })) {
      seen += b.numRows;
      break;
    }
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThanOrEqual(CHUNK_ROWS);
    const it = streamDataset(ref);
    await it.next();
    await it.return(undefined);
    expect(await readRows(ref)).toEqual(rows);
  });

  it('a projection reads only the named columns, in the order asked', async () => {
    const ref = await rollouts('projection');
    const cols = ['loss_mask', 'method', 'response_text', 'reward'];
    const t = await readDataset(ref, { columns: cols });
    expect(t.schema.fields.map((f) => f.name)).toEqual(cols);
    expect(tableToRows(t)).toEqual(rows.map((x) => pick(x, cols)));
    const streamed = await collect(ref, { columns: ['error', 'query_id'], batchRows: 2500 });
    expect(streamed.names).toEqual(['error', 'query_id']);
    expect(streamed.rows).toEqual(rows.map((x) => pick(x, ['error', 'query_id'])));
    const p1 = await readPart(ref, 1, { columns: ['prompt_token_ids'] });
    expect(p1.schema.fields.map((f) => f.name)).toEqual(['prompt_token_ids']);
    expect(tableToRows(p1)).toEqual(rows.slice(3500).map((x) => pick(x, ['prompt_token_ids'])));
  });

  it('readColumns gives readRows values column by column; concurrent reads do not mix', async () => {
    const ref = await rollouts('columns');
    const cols = ['query_id', 'mode', 'final_answer', 'response_token_ids'];
    const got = await readColumns(ref, { columns: cols });
    expect(got.rows).toBe(5000);
    expect(Object.keys(got.columns)).toEqual(cols);
    for (const c of cols) expect(got.columns[c]).toEqual(rows.map((x) => x[c]));
    expect(got.columns.final_answer?.filter((v) => v === null).length).toBe(
      rows.filter((x) => x.final_answer === null).length,
    );
    const all = await readColumns(ref);
    expect(Object.keys(all.columns)).toEqual(Object.keys(rows[0] as Row));
    const other = await rollouts('columns-other', 333);
    const [a, b, c] = await Promise.all([
      readRows(ref, { columns: ['response_text', 'sample'] }),
      readRows(other),
      collect(ref, { columns: ['loss_mask'], batchRows: 1000 }),
    ]);
    expect(a).toEqual(rows.map((x) => pick(x, ['response_text', 'sample'])));
    expect(b).toEqual(rows);
    expect(c.rows).toEqual(rows.map((x) => pick(x, ['loss_mask'])));
  });

  it('bool, nullable float64 and NaN log-probs come back as written', async () => {
    const er = rng(5);
    const estimates: Row[] = Array.from({ length: 4500 }, (_, i) => ({
      query_id: `q${i}`,
      n_cot: i % 5,
      n_code: i % 3,
      q_cot: i % 4 === 0 ? null : er(),
      q_code: i % 6 === 0 ? null : er(),
      n_native: i % 7,
      prior_cot: er(),
      prior_code: er(),
      ref_cot: er(),
      ref_code: er(),
      decision: i % 2 ? 'cot' : 'code',
      no_evidence: i % 3 === 0,
    }));
    const eRef = await writeDataset(
      {
        kind: 'estimates',
        key: keyFor({ e: 1 }),
        producer: PRODUCER,
        params: {},
        root: store.root,
        rowGroupRows: 999,
      },
      estimates,
    );
    expect(await readRows(eRef)).toEqual(estimates);
    expect((await collect(eRef, { batchRows: 4000 })).rows).toEqual(estimates);
    const train: Row[] = Array.from({ length: 2100 }, (_, i) => ({
      sample_id: `s${i}`,
      query_id: `q${i % 50}`,
      kind: i % 2 ? 'exploratory' : 'reflective',
      decision: 'cot',
      replay: i % 5 === 0,
      rescore: i % 2 === 1,
      prompt_token_ids: [1, 2, i],
      response_token_ids: [i, i + 1],
      loss_mask: [0, 1],
      behavior_logprobs: i % 3 ? [Number.NaN, Math.fround(-0.5)] : [Math.fround(-1.25), Number.NaN],
      reward: i % 2,
      advantage: Math.fround(i / 7),
      weight: 1,
    }));
    const tRef = await writeDataset(
      { kind: 'train', key: keyFor({ t: 1 }), producer: PRODUCER, params: {}, root: store.root },
      train,
    );
    const back = await readRows(tRef);
    expect(back).toEqual(train);
    expect(Number.isNaN((back[1]?.behavior_logprobs as number[] | undefined)?.[0])).toBe(true);
  });

  it('reads parts pyarrow wrote with large types, dictionaries and its own row groups', async () => {
    const ref = await rollouts('python-source');
    const code = `
import json, sys
import pyarrow as pa, pyarrow.parquet as pq
from autocode_gpu import store
ref = json.loads(sys.argv[1]); root = sys.argv[2]
t = store.read_dataset(ref)
large = pa.schema([pa.field(f.name, pa.large_string() if f.type == pa.string() else
                   pa.large_list(f.type.value_type) if pa.types.is_list(f.type) else f.type, f.nullable)
                   for f in t.schema])
t = t.cast(large)
key = store.content_key("pyLarge", "1", {"of": ref["key"]}, {"src": ref})
d = store.entry_dir("rollouts", key, root)
d.mkdir(parents=True, exist_ok=True)
pq.write_table(t.slice(0, 2600), d / "part-00000.parquet", compression="zstd", row_group_size=1300, use_dictionary=True)
pq.write_table(t.slice(2600), d / "part-00001.parquet", compression="snappy", row_group_size=5000, use_dictionary=False)
print(json.dumps(store.write_manifest(d, kind="rollouts", schema_version=1,
  producer={"activity": "pyLarge", "version": "1"}, params={"of": ref["key"]}, inputs={"src": ref})))
`;
    const pyRef = JSON.parse(python(code, [JSON.stringify(ref), store.root])) as DatasetRef;
    expect(await readRows(pyRef)).toEqual(rows);
    expect(
      (await collect(pyRef, { columns: ['response_text', 'behavior_logprobs'], batchRows: 4096 })).rows,
    ).toEqual(rows.map((x) => pick(x, ['response_text', 'behavior_logprobs'])));
  });

  it('a damaged page is UnreadableParquet naming the file, never a short read', async () => {
    const ref = await rollouts('damaged', 500);
    const part = join(resolveUri(ref.uri), 'part-00000.parquet');
    const bytes = readFileSync(part);
    // Flip bytes in the column data (the footer, at the end, stays readable).
    for (let k = 0; k < 64; k++) {
      const at = Math.floor(bytes.length * (0.05 + (0.8 * k) / 64));
      bytes[at] = (bytes[at] as number) ^ 0x5a;
    }
    writeFileSync(part, bytes);
    const manifestPath = join(resolveUri(ref.uri), '_manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.files[0].sha256 = await sha256File(part);
    writeFileSync(manifestPath, JSON.stringify(manifest));
    for (const read of [() => readRows(ref.uri), () => collect(ref.uri)]) {
      const err = await read().catch((e) => e);
      expect(err).toMatchObject({ type: 'UnreadableParquet', nonRetryable: true });
      expect(err.message).toContain('part-00000.parquet');
    }
  });
});
