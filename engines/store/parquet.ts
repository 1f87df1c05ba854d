// Parquet files through parquet-wasm (arrow-rs): streaming zstd writes one row group at a time,
// and footers (row count, schema) read from a Blob of the file. Column data is read by DuckDB's
// native reader (native-read.ts): parquet-wasm's decode measured 3-5x slower on rollout parts.
import { openAsBlob } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { storeError } from './errors';

export interface ParquetWriteOptions {
  /** Rows per row group (also the unit handed to the wasm writer, so it bounds memory). */
  rowGroupRows: number;
  /** Top-level columns to dictionary-encode (short categorical strings); all others are plain. */
  dictionaryColumns?: readonly string[];
  /** Top-level columns to keep min/max statistics for (scalars; list statistics only cost time). */
  statisticsColumns?: readonly string[];
  metadata?: Record<string, string>;
}

// Measured on 4096 rollout rows: dictionary encoding and statistics on the token/log-prob list
// columns cost 3x the write time for a larger file. Per-column settings reach only top-level
// columns (parquet-wasm takes the column path as one string), so both are off by default and
// switched on by name where they pay.
function writerProperties(opts: ParquetWriteOptions): pw.WriterProperties {
  let b = new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.ZSTD)
    .setMaxRowGroupSize(opts.rowGroupRows)
    .setDictionaryEnabled(false)
    .setStatisticsEnabled(pw.EnabledStatistics.None)
    .setCreatedBy('autocode-em store (parquet-wasm)');
  for (const c of opts.dictionaryColumns ?? []) b = b.setColumnDictionaryEnabled(c, true);
  for (const c of opts.statisticsColumns ?? [])
    b = b.setColumnStatisticsEnabled(c, pw.EnabledStatistics.Chunk);
  if (opts.metadata) b = b.setKeyValueMetadata(new Map(Object.entries(opts.metadata)));
  return b.build();
}

function toWasmBatches(batch: arrow.RecordBatch): pw.RecordBatch[] {
  const ipc = arrow.tableToIPC(new arrow.Table(batch), 'stream');
  return pw.Table.fromIPCStream(ipc).recordBatches();
}

/**
 * Streams record batches into a Parquet file at `path` (the caller's temporary name), fsyncs it and
 * returns the rows written. Memory stays at about one row group. `empty` is written when the
 * stream yields nothing, so a zero-row file still carries the schema.
 */
export async function writeParquetFile(
  path: string,
  batches: AsyncIterable<arrow.RecordBatch>,
  empty: arrow.RecordBatch,
  opts: ParquetWriteOptions,
): Promise<number> {
  const it = batches[Symbol.asyncIterator]();
  let rows = 0;
  let started = false;
  let failure: unknown;
  const input = new ReadableStream<pw.RecordBatch>({
    async pull(ctrl) {
      try {
        const next = await it.next();
        if (next.done) {
          if (!started) for (const b of toWasmBatches(empty)) ctrl.enqueue(b);
          started = true;
          ctrl.close();
          return;
        }
        started = true;
        rows += next.value.numRows;
        for (const b of toWasmBatches(next.value)) ctrl.enqueue(b);
      } catch (err) {
        failure = err;
        ctrl.error(err);
      }
    },
  });
  const file = await open(path, 'w');
  try {
    const output = await pw.transformParquetStream(input, writerProperties(opts));
    for await (const chunk of output as unknown as AsyncIterable<Uint8Array>) await file.write(chunk);
    await file.sync();
  } catch (err) {
    await file.close().catch(() => {});
    await rm(path, { force: true });
    throw failure ?? err;
  }
  await file.close();
  return rows;
}

async function openParquet(path: string): Promise<pw.ParquetFile> {
  try {
    return await pw.ParquetFile.fromFile(await openAsBlob(path));
  } catch (err) {
    throw storeError('UnreadableParquet', `${path}: not a readable Parquet file (${describe(err)})`, err);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface ParquetInfo {
  rows: number;
  /** Rows of each row group, in order. */
  rowGroups: number[];
  schema: arrow.Schema;
}

/** Footer facts: row count, row groups and Arrow schema (reads only the footer). */
export async function parquetInfo(path: string): Promise<ParquetInfo> {
  const file = await openParquet(path);
  try {
    const meta = file.metadata();
    const rows = meta.fileMetadata().numRows();
    const rowGroups = meta.rowGroups().map((g) => g.numRows());
    const schema = arrow.tableFromIPC(file.schema().intoIPCStream()).schema;
    return { rows, rowGroups, schema };
  } catch (err) {
    throw storeError('UnreadableParquet', `${path}: bad Parquet footer (${describe(err)})`, err);
  } finally {
    file.free();
  }
}
