// Reading finished entries: whole, by columns, part by part (for sharded processing), or as a
// stream of record batches. Every file's schema is checked against its kind before it is read.
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import type { Row } from '../../schemas/datasets';
import type { DatasetRef, Manifest } from '../../schemas/store';
import { arrowSchema, checkSchema, kindSchema } from './arrow-schema';
import { openEntry } from './catalog';
import { tableToRows } from './columns';
import { storeError } from './errors';
import { PART_PATTERN } from './manifest';
import { parquetInfo, readParquetFile, streamParquetFile } from './parquet';

export interface ReadOptions {
  /** Columns to read (projection); all of the kind's columns when omitted. */
  columns?: readonly string[];
}

export interface PartInfo {
  index: number;
  path: string;
  rows: number;
}

async function checkedFile(dir: string, manifest: Manifest, file: string, columns?: readonly string[]) {
  const path = join(dir, file);
  const schema = kindSchema(manifest.kind);
  const info = await parquetInfo(path);
  checkSchema(info.schema, schema, path, columns);
  return path;
}

/** The parts of an entry, in order, from its manifest. */
export async function listParts(ref: DatasetRef | string): Promise<PartInfo[]> {
  const { dir, manifest } = await openEntry(ref);
  return manifest.files.map((f, i) => {
    const m = PART_PATTERN.exec(f.path);
    return { index: m ? Number(m[1]) : i, path: join(dir, f.path), rows: f.rows };
  });
}

function emptyTable(kind: string, columns?: readonly string[]): arrow.Table {
  return new arrow.Table(arrowSchema(kindSchema(kind), columns));
}

function names(kind: string, columns?: readonly string[]): string[] {
  return columns ? [...columns] : kindSchema(kind).columns.map((c) => c.name);
}

/** The whole entry (or the named columns) as one Arrow table. */
export async function readDataset(ref: DatasetRef | string, opts: ReadOptions = {}): Promise<arrow.Table> {
  const { dir, manifest } = await openEntry(ref);
  const cols = names(manifest.kind, opts.columns);
  const tables: arrow.Table[] = [];
  for (const f of manifest.files) {
    const path = await checkedFile(dir, manifest, f.path, cols);
    const table = (await readParquetFile(path, cols)).select(cols);
    if (table.numRows !== f.rows) {
      throw storeError('ChecksumMismatch', `${path}: ${table.numRows} rows, the manifest says ${f.rows}`);
    }
    tables.push(table);
  }
  if (tables.length === 0) return emptyTable(manifest.kind, cols);
  const [first, ...rest] = tables as [arrow.Table, ...arrow.Table[]];
  return rest.length ? first.concat(...rest) : first;
}

/** One part of an entry by its index (part-<index>.parquet). */
export async function readPart(
  ref: DatasetRef | string,
  index: number,
  opts: ReadOptions = {},
): Promise<arrow.Table> {
  const { dir, manifest } = await openEntry(ref);
  const file = manifest.files.find((f) => PART_PATTERN.exec(f.path)?.[1] === String(index).padStart(5, '0'));
  if (!file)
    throw storeError(
      'MissingPart',
      `${dir}: no part ${index} in the manifest (${manifest.files.length} parts)`,
    );
  const cols = names(manifest.kind, opts.columns);
  const path = await checkedFile(dir, manifest, file.path, cols);
  return (await readParquetFile(path, cols)).select(cols);
}

/** Record batches of every part in order; memory stays at about one batch. */
export async function* streamDataset(
  ref: DatasetRef | string,
  opts: ReadOptions & { batchRows?: number } = {},
): AsyncGenerator<arrow.RecordBatch> {
  const { dir, manifest } = await openEntry(ref);
  const cols = names(manifest.kind, opts.columns);
  for (const f of manifest.files) {
    const path = await checkedFile(dir, manifest, f.path, cols);
    for await (const batch of streamParquetFile(path, { columns: cols, batchRows: opts.batchRows })) {
      yield batch.select(cols);
    }
  }
}

/** Rows as plain objects, streamed batch by batch. */
export async function* streamRows(ref: DatasetRef | string, opts: ReadOptions = {}): AsyncGenerator<Row> {
  for await (const batch of streamDataset(ref, opts)) yield* tableToRows(new arrow.Table(batch));
}

/** The whole entry as plain row objects (small datasets: queries, estimates, summaries). */
export async function readRows(ref: DatasetRef | string, opts: ReadOptions = {}): Promise<Row[]> {
  return tableToRows(await readDataset(ref, opts));
}
