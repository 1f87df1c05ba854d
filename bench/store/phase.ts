// One bench phase in its own process, so its peak RSS is its own. Prints one JSON line.
// Usage: tsx bench/store/phase.ts <phase> <storeRoot> [rows]
import { openAsBlob } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import {
  listParts,
  lookup,
  openWriter,
  queryStore,
  readDataset,
  readManifest,
  readRows,
  rowsToBatch,
  streamDataset,
} from '../../engines/store';
import { kindSchema } from '../../engines/store/arrow-schema';
import { contentKey } from '../../engines/store/canonical';
import { benchRows, makePool } from './rows';

const [phase, root, rowsArg] = process.argv.slice(2) as [string, string, string?];
const N = Number(rowsArg ?? 200_000);
const PER_PART = 100_000;
const producer = { activity: 'bench', version: '1' };
export const benchKey = (name: string, n: number) => contentKey({ producer, params: { name, n } });

function arrowBytes(batch: arrow.RecordBatch): number {
  let total = 0;
  const visit = (d: arrow.Data) => {
    for (const b of [d.valueOffsets, d.values, d.nullBitmap]) if (b) total += (b as Uint8Array).byteLength;
    for (const c of d.children) visit(c);
  };
  visit(batch.data);
  return total;
}

function report(fields: Record<string, unknown>) {
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ phase, ...fields, max_rss_mb: Math.round(maxRssMB) }));
}

async function write(name: string, arrowPath: boolean, small = false) {
  const pool = makePool(4096, small);
  const key = benchKey(name, N);
  const w = openWriter({ kind: 'rollouts', key, producer, params: { name, n: N }, root });
  const schema = kindSchema('rollouts');
  // Arrow path: batches built before timing (a caller holding Arrow data already).
  const poolBatch = arrowPath ? rowsToBatch(schema, [...benchRows(pool, 4096, 5000)]) : undefined;
  const bytesPerPoolRow = arrowBytes(rowsToBatch(schema, pool)) / pool.length;
  const t0 = performance.now();
  let part = 0;
  for (let start = 0; start < N; start += PER_PART, part++) {
    const n = Math.min(PER_PART, N - start);
    if (poolBatch) {
      const batches = function* () {
        for (let i = 0; i < n; i += poolBatch.numRows)
          yield poolBatch.slice(0, Math.min(poolBatch.numRows, n - i));
      };
      await w.writePartArrow(part, batches());
    } else {
      const rows = benchRows(pool, start + n, 5000);
      for (let i = 0; i < start; i++) rows.next();
      await w.writePart(part, rows);
    }
  }
  const ref = await w.finish(part);
  const s = (performance.now() - t0) / 1000;
  let total = 0;
  for (const f of (await readManifest(ref.uri))?.files ?? []) total += f.bytes;
  report({
    rows: ref.rows,
    seconds: s,
    rows_per_s: ref.rows / s,
    mb_per_s: (ref.rows * bytesPerPoolRow) / s / 1e6,
    arrow_mb: (ref.rows * bytesPerPoolRow) / 1e6,
    file_mb: total / 1e6,
    uri: ref.uri,
  });
}

// The read comparison: the TS entry's own parts (pyarrow reads the same files), every column, in
// Arrow record batches of BATCH rows, each batch's buffers counted as it comes and then dropped.
const BATCH = 2048;
const PROJECTED = ['query_id', 'method', 'reward'];
const ESTIMATE_COLUMNS = ['query_id', 'mode', 'sample', 'method', 'reward'];

async function readRef() {
  const ref = await lookup('rollouts', benchKey('rows', N), root);
  if (!ref) throw new Error('write phase first');
  return ref;
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await f();
  return [out, (performance.now() - t0) / 1000];
}

async function read() {
  const ref = await readRef();
  const stream = async (batchRows?: number) => {
    let rows = 0;
    let bytes = 0;
    let batches = 0;
    for await (const b of streamDataset(ref, batchRows ? { batchRows } : {})) {
      rows += b.numRows;
      bytes += arrowBytes(b);
      batches++;
    }
    return { rows, bytes, batches };
  };
  const [all, s] = await timed(() => stream());
  const [joined, sj] = await timed(() => stream(4096));
  const [proj, sp] = await timed(() => readDataset(ref, { columns: PROJECTED }));
  const [objects, so] = await timed(() => readRows(ref, { columns: ESTIMATE_COLUMNS }));
  report({
    rows: all.rows,
    batches: all.batches,
    seconds: s,
    rows_per_s: all.rows / s,
    mb_per_s: all.bytes / s / 1e6,
    arrow_mb: all.bytes / 1e6,
    joined_4096_seconds: sj,
    joined_4096_batches: joined.batches,
    projected_rows: proj.numRows,
    projected_seconds: sp,
    objects_rows: objects.length,
    objects_seconds: so,
  });
}

/** The store's reader before this change, for the same-run comparison: parquet-wasm's decode, then an IPC copy into arrow-js. */
async function readWasm() {
  const ref = await readRef();
  const t0 = performance.now();
  let rows = 0;
  let bytes = 0;
  for (const part of await listParts(ref)) {
    const file = await pw.ParquetFile.fromFile(await openAsBlob(part.path));
    try {
      const stream = await file.stream({ batchSize: BATCH });
      for await (const wb of stream as unknown as AsyncIterable<pw.RecordBatch>) {
        for (const b of arrow.tableFromIPC(wb.intoIPCStream()).batches) {
          rows += b.numRows;
          bytes += arrowBytes(b);
        }
      }
    } finally {
      file.free();
    }
  }
  const s = (performance.now() - t0) / 1000;
  report({ rows, seconds: s, rows_per_s: rows / s, mb_per_s: bytes / s / 1e6 });
}

async function groupBy() {
  const ref = await lookup('rollouts', benchKey('small', N), root);
  if (!ref) throw new Error('write-small phase first');
  const t0 = performance.now();
  const out = await queryStore(
    'SELECT query_id, method, avg(reward) AS mean_reward, count(*) AS n FROM {r} GROUP BY query_id, method',
    { r: ref },
  );
  const s = (performance.now() - t0) / 1000;
  report({ rows: ref.rows, groups: out.length, seconds: s, uri: ref.uri });
}

switch (phase) {
  case 'write-rows':
    await write('rows', false);
    break;
  case 'write-arrow':
    await write('arrow', true);
    break;
  case 'write-small':
    await write('small', false, true);
    break;
  case 'read':
    await read();
    break;
  case 'read-wasm':
    await readWasm();
    break;
  case 'group-by':
    await groupBy();
    break;
  default:
    throw new Error(`unknown phase ${phase}`);
}
