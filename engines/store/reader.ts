// Reading finished entries: whole, by columns, part by part (for sharded processing), or as a
// stream of record batches. Every file's schema is checked against its kind before it is read.
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import type { Row } from '../../schemas/datasets';
import type { DatasetRef, Manifest } from '../../schemas/store';
import { arrowSchema, checkSchema, columnSpec, kindSchema } from './arrow-schema';
import { openEntry } from './catalog';
import { tableToColumns, tableToRows } from './columns';
import { storeError } from './errors';
import { PART_PATTERN } from './manifest';
import { nativeParquetBatches } from './native-read';
import { parquetInfo } from './parquet';

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
  return { path, rows: info.rows, rowGroups: info.rowGroups };
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

/** The decoded columns of one checked part, as record batches of `schema`. */
function partBatches(
  file: { path: string; rowGroups: number[] },
  kind: string,
  cols: readonly string[],
  schema: arrow.Schema,
  opts: { batchRows?: number; whole?: boolean },
): AsyncGenerator<arrow.RecordBatch> {
  const specs = cols.map((c) => columnSpec(kindSchema(kind), c));
  return nativeParquetBatches(file.path, specs, schema, { ...opts, rowGroups: file.rowGroups });
}

async function partTable(
  dir: string,
  manifest: Manifest,
  file: Manifest['files'][number],
  cols: readonly string[],
  schema: arrow.Schema,
): Promise<arrow.RecordBatch[]> {
  const checked = await checkedFile(dir, manifest, file.path, cols);
  const path = checked.path;
  if (checked.rows !== file.rows) {
    throw storeError('ChecksumMismatch', `${path}: ${checked.rows} rows, the manifest says ${file.rows}`);
  }
  const batches: arrow.RecordBatch[] = [];
  // The reader yields exactly the footer's rows or throws.
  for await (const b of partBatches(checked, manifest.kind, cols, schema, { whole: true })) batches.push(b);
  return batches;
}

/** The whole entry (or the named columns) as one Arrow table (one batch per decoded chunk). */
export async function readDataset(ref: DatasetRef | string, opts: ReadOptions = {}): Promise<arrow.Table> {
  const { dir, manifest } = await openEntry(ref);
  const cols = names(manifest.kind, opts.columns);
  const schema = arrowSchema(kindSchema(manifest.kind), cols);
  const batches: arrow.RecordBatch[] = [];
  for (const f of manifest.files) batches.push(...(await partTable(dir, manifest, f, cols, schema)));
  return batches.length ? new arrow.Table(schema, batches) : emptyTable(manifest.kind, cols);
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
  const schema = arrowSchema(kindSchema(manifest.kind), cols);
  const batches = await partTable(dir, manifest, file, cols, schema);
  return batches.length ? new arrow.Table(schema, batches) : emptyTable(manifest.kind, cols);
}

/**
 * Record batches of every part in order; memory stays at about one batch. A batch holds at most
 * `batchRows` rows; without it, each decoded chunk (up to CHUNK_ROWS = 2048 rows) is a batch, the
 * cheapest (larger batches are joined from chunks: one more copy).
 */
export async function* streamDataset(
  ref: DatasetRef | string,
  opts: ReadOptions & { batchRows?: number } = {},
): AsyncGenerator<arrow.RecordBatch> {
  const { dir, manifest } = await openEntry(ref);
  const cols = names(manifest.kind, opts.columns);
  const schema = arrowSchema(kindSchema(manifest.kind), cols);
  for (const f of manifest.files) {
    yield* partBatches(
      await checkedFile(dir, manifest, f.path, cols),
      manifest.kind,
      cols,
      schema,
      opts.batchRows === undefined ? {} : { batchRows: Math.max(1, opts.batchRows) },
    );
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

/**
 * The entry's columns (the named ones, else all) as one array of plain values each, the values
 * readRows would put in its row objects, without building a row object per row.
 */
export async function readColumns(
  ref: DatasetRef | string,
  opts: ReadOptions = {},
): Promise<{ rows: number; columns: Record<string, unknown[]> }> {
  const table = await readDataset(ref, opts);
  return { rows: table.numRows, columns: tableToColumns(table) };
}
