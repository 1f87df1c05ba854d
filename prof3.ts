import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { rowsToBatch } from './activities/store';
import { kindSchema } from './activities/store/arrow-schema';
import { writeParquetFile } from './activities/store/parquet';
import { benchRows, makePool } from './bench/store/rows';
const schema = kindSchema('rollouts');
const batch = rowsToBatch(schema, [...benchRows(makePool(4096), 4096, 5000)]);
const opts = { rowGroupRows: 4096, statisticsColumns: [], dictionaryColumns: [] };
async function* gen(n: number) { for (let i = 0; i < n; i++) yield batch; }
for (let rep = 0; rep < 2; rep++) {
  let t0 = performance.now();
  await writeParquetFile('/tmp/store-proto/x.parquet', gen(5), batch, opts);
  console.log('stream 5 batches', performance.now() - t0);
  t0 = performance.now();
  const ipc = arrow.tableToIPC(new arrow.Table([batch, batch, batch, batch, batch]), 'stream');
  const out = pw.writeParquet(pw.Table.fromIPCStream(ipc), new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).setDictionaryEnabled(false).setStatisticsEnabled(pw.EnabledStatistics.None).setMaxRowGroupSize(4096).build());
  console.log('sync 5 batches', performance.now() - t0, out.byteLength);
}
