// One bench phase in its own process, so its peak RSS is its own. Prints one JSON line.
// Usage: tsx bench/store/phase.ts <phase> <storeRoot> [rows]
import { performance } from 'node:perf_hooks';
import type * as arrow from 'apache-arrow';
import {
  lookup,
  openWriter,
  queryStore,
  readDataset,
  readManifest,
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

async function read() {
  const ref = await lookup('rollouts', benchKey('rows', N), root);
  if (!ref) throw new Error('write phase first');
  let t0 = performance.now();
  let rows = 0;
  let bytes = 0;
  for await (const b of streamDataset(ref, { batchRows: 4096 })) {
    rows += b.numRows;
    bytes += arrowBytes(b);
  }
  const s = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const proj = await readDataset(ref, { columns: ['query_id', 'method', 'reward'] });
  const sp = (performance.now() - t0) / 1000;
  report({
    rows,
    seconds: s,
    rows_per_s: rows / s,
    mb_per_s: bytes / s / 1e6,
    projected_rows: proj.numRows,
    projected_seconds: sp,
  });
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
  case 'group-by':
    await groupBy();
    break;
  default:
    throw new Error(`unknown phase ${phase}`);
}
