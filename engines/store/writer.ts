// Writing a dataset entry part by part. Sharded activities call:
//   lookup -> openWriter -> existingParts -> writePart(i) for each missing i -> finish(nParts)
// Parts have deterministic names (part-00007.parquet) and appear only complete (temp + rename), so
// a writer killed at any moment leaves either the whole part or none of it; `finish` builds the
// manifest from the files on disk and writes it last.
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { isAlive } from '../../infra/stack-state';
import type { DatasetKind, DatasetSchema, Row } from '../../schemas/datasets';
import type { DatasetRef, InputRef, Manifest, ManifestFile, Producer } from '../../schemas/store';
import { checkSchema, kindSchema } from './arrow-schema';
import { sha256File } from './canonical';
import { rowsToBatch } from './columns';
import { storeError } from './errors';
import {
  entryDir,
  hostTag,
  PART_PATTERN,
  partName,
  readManifest,
  refOf,
  TEMP_PREFIX,
  tempName,
  writeManifest,
} from './manifest';
import { parquetInfo, writeParquetFile } from './parquet';

export interface WriterSpec {
  kind: DatasetKind;
  /** Content address, from contentKey({producer, params, inputs}). */
  key: string;
  producer: Producer;
  params: Record<string, unknown>;
  /** Named inputs; DatasetRefs are accepted and reduced to {kind, key, sha256}. */
  inputs?: Record<string, InputRef | DatasetRef>;
  root?: string;
  /** Rows per row group; default from the kind's row width (about 8-16 MB per group). */
  rowGroupRows?: number;
}

export type RowSource = Iterable<Row> | AsyncIterable<Row>;
export type ArrowSource = arrow.Table | Iterable<arrow.RecordBatch> | AsyncIterable<arrow.RecordBatch>;

const WIDE_KINDS = new Set(['rollouts', 'train', 'eval_results']);
/** Short strings with few distinct values: dictionary encoding makes them small and fast to group. */
const CATEGORICAL = new Set([
  'query_id',
  'mode',
  'method',
  'finish_reason',
  'policy',
  'source',
  'split',
  'kind',
  'decision',
  'benchmark',
]);

export class DatasetWriter {
  readonly dir: string;
  readonly schema: DatasetSchema;
  private readonly rowGroupRows: number;

  constructor(readonly spec: WriterSpec) {
    this.schema = kindSchema(spec.kind);
    this.dir = entryDir(spec.kind, spec.key, spec.root);
    this.rowGroupRows = spec.rowGroupRows ?? (WIDE_KINDS.has(spec.kind) ? 4096 : 65_536);
  }

  /** Indexes of the parts already complete on disk. */
  async existingParts(): Promise<number[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names
      .map((n) => PART_PATTERN.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  /** Writes part `index` from row objects, streamed one row group at a time; replaces an existing part. */
  async writePart(index: number, rows: RowSource): Promise<{ path: string; rows: number }> {
    return this.writeBatches(index, this.packRows(rows));
  }

  /** Writes part `index` from Arrow data with the kind's columns (extra columns are dropped). */
  async writePartArrow(index: number, data: ArrowSource): Promise<{ path: string; rows: number }> {
    return this.writeBatches(index, this.selectBatches(data, partName(index)));
  }

  private async *packRows(rows: RowSource): AsyncGenerator<arrow.RecordBatch> {
    let buffer: Row[] = [];
    let first = 0;
    for await (const row of rows as AsyncIterable<Row>) {
      buffer.push(row);
      if (buffer.length >= this.rowGroupRows) {
        yield rowsToBatch(this.schema, buffer, first);
        first += buffer.length;
        buffer = [];
      }
    }
    if (buffer.length > 0) yield rowsToBatch(this.schema, buffer, first);
  }

  private async *selectBatches(data: ArrowSource, file: string): AsyncGenerator<arrow.RecordBatch> {
    const names = this.schema.columns.map((c) => c.name);
    const source = data instanceof arrow.Table ? data.batches : data;
    for await (const batch of source as AsyncIterable<arrow.RecordBatch>) {
      checkSchema(batch.schema, this.schema, `${file} (input)`);
      const picked = batch.select(names);
      for (let at = 0; at < picked.numRows; at += this.rowGroupRows) {
        yield picked.slice(at, Math.min(picked.numRows, at + this.rowGroupRows));
      }
    }
  }

  private async writeBatches(index: number, batches: AsyncIterable<arrow.RecordBatch>) {
    const name = partName(index);
    await mkdir(this.dir, { recursive: true });
    const tmp = tempName(this.dir, name);
    const empty = rowsToBatch(this.schema, []);
    const metadata = {
      'autocode.kind': this.schema.kind,
      'autocode.schema_version': String(this.schema.version),
      'autocode.key': this.spec.key,
    };
    const scalars = this.schema.columns.filter((c) => !c.type.startsWith('list'));
    try {
      const rows = await writeParquetFile(tmp, batches, empty, {
        rowGroupRows: this.rowGroupRows,
        dictionaryColumns: scalars.filter((c) => CATEGORICAL.has(c.name)).map((c) => c.name),
        statisticsColumns: scalars.map((c) => c.name),
        metadata,
      });
      const path = join(this.dir, name);
      await rename(tmp, path);
      return { path, rows };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /**
   * Builds the manifest from the parts on disk (exactly parts 0..nParts-1 must exist), writes it
   * last and returns the entry's ref. Idempotent: an entry already finished returns its ref.
   */
  async finish(nParts: number): Promise<DatasetRef> {
    const done = await readManifest(this.dir);
    if (done) return refOf(this.dir, done);
    await mkdir(this.dir, { recursive: true });
    const have = new Set(await this.existingParts());
    const missing = [...Array(nParts).keys()].filter((i) => !have.has(i));
    if (missing.length > 0) {
      throw storeError(
        'MissingPart',
        `${this.dir}: cannot finish, missing ${missing.length} of ${nParts} parts (first: ${partName(missing[0] as number)})`,
      );
    }
    const extra = [...have].filter((i) => i >= nParts);
    if (extra.length > 0) {
      throw storeError(
        'MissingPart',
        `${this.dir}: ${partName(extra[0] as number)} is beyond the ${nParts} parts expected`,
      );
    }
    const files: ManifestFile[] = [];
    for (let i = 0; i < nParts; i++) {
      const name = partName(i);
      const path = join(this.dir, name);
      const info = await parquetInfo(path);
      checkSchema(info.schema, this.schema, path);
      files.push({
        path: name,
        rows: info.rows,
        bytes: (await stat(path)).size,
        sha256: await sha256File(path),
      });
    }
    const inputs: Manifest['inputs'] = {};
    for (const [name, ref] of Object.entries(this.spec.inputs ?? {})) {
      inputs[name] = { kind: ref.kind, key: ref.key, sha256: ref.sha256 };
    }
    const manifest: Manifest = {
      kind: this.schema.kind,
      schema_version: this.schema.version,
      key: this.spec.key,
      inputs,
      params: this.spec.params,
      rows: files.reduce((s, f) => s + f.rows, 0),
      files,
      created_at: new Date().toISOString(),
      producer: this.spec.producer,
    };
    await this.removeDeadTemps();
    await writeManifest(this.dir, manifest);
    return refOf(this.dir, manifest);
  }

  /** Temp files of writers on this host that no longer run (killed mid-part). */
  private async removeDeadTemps(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const [host, pid] = name.split('.').slice(-3, -1);
      if (host !== hostTag()) continue;
      // A malformed pid is treated as alive: never delete what might be another writer's.
      const n = Number(pid);
      if (Number.isInteger(n) && n > 0 && !isAlive(n)) await rm(join(this.dir, name), { force: true });
    }
  }
}

export function openWriter(spec: WriterSpec): DatasetWriter {
  return new DatasetWriter(spec);
}

/**
 * Writes a whole dataset from one row stream, cut into parts of `rowsPerPart` rows, and finishes it.
 * Memory stays at one row group. For resumable sharded work use openWriter directly.
 */
export async function writeDataset(
  spec: WriterSpec,
  rows: RowSource,
  opts: { rowsPerPart?: number } = {},
): Promise<DatasetRef> {
  const perPart = opts.rowsPerPart ?? 100_000;
  const writer = openWriter(spec);
  const it = (rows as AsyncIterable<Row>)[Symbol.asyncIterator]
    ? (rows as AsyncIterable<Row>)[Symbol.asyncIterator]()
    : (rows as Iterable<Row>)[Symbol.iterator]();
  let part = 0;
  let ended = false;
  let pending = await it.next();
  async function* slice(): AsyncGenerator<Row> {
    for (let n = 0; n < perPart && !pending.done; n++) {
      yield pending.value;
      pending = await it.next();
    }
    if (pending.done) ended = true;
  }
  if (pending.done) ended = true;
  while (!ended) await writer.writePart(part++, slice());
  return writer.finish(part);
}
