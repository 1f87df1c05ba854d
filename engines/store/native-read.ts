// Reading Parquet parts into Arrow record batches with DuckDB's native Parquet reader (C++: zstd and
// the level decoding native, projection pushed into the scan, row groups decoded on DuckDB's
// threads). The decoded vectors reach JavaScript through a scalar function (a sink) that the scan
// calls once per chunk of up to 2048 rows, on the JavaScript thread while the DuckDB thread waits:
// each vector is copied once out of DuckDB into Arrow buffers (fixed-width values and list items as
// one block each, strings as UTF-8 bytes, never decoded to JavaScript strings here). A query
// result would copy every vector once more inside DuckDB first (its result collector): measured
// ~35% more CPU for the same batches. parquet-wasm's reader (wasm decode, then an IPC copy into
// arrow-js) measured 3-5x slower on rollout parts, so it only reads footers now (parquet.ts).
//
// A part is scanned in windows of whole row groups (file_row_number ranges, which DuckDB prunes
// row groups by), at most two at a time, so memory stays at a few windows however slowly the
// caller takes the batches; chunks arrive out of order from DuckDB's threads and are yielded in
// row order. The raw vector access goes through @duckdb/node-bindings, the package
// @duckdb/node-api is built on (pinned by it to the same version).
import { availableParallelism } from 'node:os';
import {
  ANY,
  type DuckDBConnection,
  type DuckDBDataChunk,
  DuckDBInstance,
  DuckDBScalarFunction,
  INTEGER,
} from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import * as arrow from 'apache-arrow';
import type { ColumnSpec, ColumnType } from '../../schemas/datasets';
import { arrowType } from './arrow-schema';
import { storeError } from './errors';

/** Most bytes between two strings that one copy spans (a Parquet page's length prefix is 4). */
const MAX_GAP = 16;

/** DuckDB's type for each column type: the scan casts to it (a no-op when the file has it). */
const DUCK: Record<ColumnType, string> = {
  utf8: 'VARCHAR',
  bool: 'BOOLEAN',
  int8: 'TINYINT',
  int32: 'INTEGER',
  float32: 'FLOAT',
  float64: 'DOUBLE',
  'list<int8>': 'TINYINT[]',
  'list<int32>': 'INTEGER[]',
  'list<float32>': 'FLOAT[]',
};

type Fixed = Int8Array | Int32Array | Float32Array | Float64Array;
type FixedCtor = {
  new (buffer: ArrayBufferLike, offset: number, length: number): Fixed;
  BYTES_PER_ELEMENT: number;
};
const FIXED: Partial<Record<ColumnType, FixedCtor>> = {
  int8: Int8Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
  'list<int8>': Int8Array,
  'list<int32>': Int32Array,
  'list<float32>': Float32Array,
};

// One instance per process, created on first read, with the sink registered (functions are
// visible to every connection of the instance): reads are connections on it.
const SINK = '__autocode_store_sink';

interface SinkRead {
  specs: readonly ColumnSpec[];
  types: readonly arrow.DataType[];
  accept(first: number, n: number, columns: arrow.Data[]): void;
  fail(err: unknown): void;
}
const sinks = new Map<number, SinkRead>();
let nextSink = 1;

const u32 = (v: Uint8Array, i: number) =>
  (v[i] as number) |
  ((v[i + 1] as number) << 8) |
  ((v[i + 2] as number) << 16) |
  ((v[i + 3] as number) << 24);
const u64 = (v: Uint8Array, i: number) => (u32(v, i) >>> 0) + (u32(v, i + 4) >>> 0) * 4294967296;

/** sink(read id, file_row_number, column...): the chunk's columns, copied into Arrow Data. */
function sink(chunk: DuckDBDataChunk) {
  const n = chunk.rowCount;
  if (n === 0) return;
  const id = u32(duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk.chunk, 0), 4), 0);
  const read = sinks.get(id);
  if (!read) return;
  try {
    const rowNumbers = duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk.chunk, 1), n * 8);
    const first = u64(rowNumbers, 0);
    if (u64(rowNumbers, (n - 1) * 8) !== first + n - 1)
      throw new Error(`rows from ${first} are not contiguous`);
    const columns = read.specs.map((spec, c) =>
      columnData(spec, read.types[c] as arrow.DataType, duckdb.data_chunk_get_vector(chunk.chunk, c + 2), n),
    );
    read.accept(first, n, columns);
  } catch (err) {
    read.fail(err);
  }
}

let shared: Promise<DuckDBInstance> | undefined;
function instance(): Promise<DuckDBInstance> {
  shared ??= (async () => {
    const db = await DuckDBInstance.create(':memory:', {
      threads: String(Math.max(1, Math.min(4, availableParallelism()))),
      memory_limit: '1GB',
    });
    const conn = await db.connect();
    conn.registerScalarFunction(
      DuckDBScalarFunction.create({
        name: SINK,
        returnType: INTEGER,
        varArgsType: ANY,
        volatile: true,
        specialHandling: true, // called for rows with nulls too
        mainFunction: (_info, input) => sink(input),
      }),
    );
    conn.closeSync();
    return db;
  })().catch((err) => {
    shared = undefined;
    throw err;
  });
  return shared;
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
const sqlName = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** Validity bitmap of the first n rows (Arrow's layout: DuckDB's uint64 words, little-endian) and its null count. */
function validityOf(vector: duckdb.Vector, n: number): { bitmap?: Uint8Array; nulls: number } {
  const words = Math.ceil(n / 64);
  const v = duckdb.vector_get_validity(vector, words * 8) as Uint8Array | null;
  if (!v) return { nulls: 0 };
  let valid = 0;
  const full = n >> 3;
  for (let i = 0; i < full; i++) valid += POPCOUNT[v[i] as number] as number;
  for (let i = full << 3; i < n; i++) if ((v[i >> 3] as number) & (1 << (i & 7))) valid++;
  return valid === n ? { nulls: 0 } : { bitmap: v.subarray(0, (n + 7) >> 3), nulls: n - valid };
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, i) => {
  let c = 0;
  for (let b = i; b; b >>= 1) c += b & 1;
  return c;
});

function setBit(bitmap: Uint8Array, i: number) {
  bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
}

const isValid = (bitmap: Uint8Array | undefined, i: number) =>
  !bitmap || ((bitmap[i >> 3] as number) & (1 << (i & 7))) !== 0;

function fixedValues(Ctor: FixedCtor, bytes: Uint8Array, length: number): Fixed {
  // vector_get_data returns a fresh buffer at offset 0; copy only if that ever changes.
  const b = bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0 ? bytes : bytes.slice();
  return new Ctor(b.buffer, b.byteOffset, length);
}

function utf8Data(type: arrow.DataType, vector: duckdb.Vector, n: number): arrow.Data {
  const { bitmap, nulls } = validityOf(vector, n);
  // duckdb_string_t, 16 bytes: uint32 length, then the bytes inline (<= 12) or a 4-byte prefix and
  // a pointer into the chunk's string heap.
  const raw = duckdb.vector_get_data(vector, n * 16);
  const words = new Uint32Array(raw.buffer, raw.byteOffset, n * 4);
  const offsets = new Int32Array(n + 1);
  let total = 0;
  if (bitmap) {
    for (let i = 0; i < n; i++) {
      if (isValid(bitmap, i)) total += words[i * 4] as number;
      offsets[i + 1] = total;
    }
  } else {
    for (let i = 0; i < n; i++) {
      total += words[i * 4] as number;
      offsets[i + 1] = total;
    }
  }
  // 12 bytes of slack: an inline string is copied as its three whole words, the bytes past its
  // length landing where the next strings (written after it) or the slack go.
  const bytes = new Uint8Array(total + 12);
  const view = new DataView(bytes.buffer);
  const pointer = (i: number) => (words[i * 4 + 2] as number) + (words[i * 4 + 3] as number) * 4294967296;
  let i = 0;
  while (i < n) {
    const at = offsets[i] as number;
    const len = (offsets[i + 1] as number) - at;
    if (len <= 12) {
      if (len > 0) {
        view.setUint32(at, words[i * 4 + 1] as number, true);
        view.setUint32(at + 4, words[i * 4 + 2] as number, true);
        view.setUint32(at + 8, words[i * 4 + 3] as number, true);
      }
      i++;
      continue;
    }
    // A chunk's long strings point into DuckDB's decoded Parquet pages, one after the other with
    // the 4-byte length of the next in between: one copy out of DuckDB per run of them (each call
    // costs microseconds), reading only the run's strings and the small gaps between them.
    const start = pointer(i);
    const from: number[] = [0];
    let end = start + len;
    let j = i + 1;
    while (j < n) {
      const l = (offsets[j + 1] as number) - (offsets[j] as number);
      const p = l > 12 ? pointer(j) : -1;
      if (p < end || p - end > MAX_GAP) break;
      from.push(p - start);
      end = p + l;
      j++;
    }
    const run = duckdb.get_data_from_pointer(
      raw.buffer as ArrayBuffer,
      raw.byteOffset + i * 16 + 8,
      end - start,
    );
    if (j === i + 1 || end - start === (offsets[j] as number) - at) bytes.set(run, at);
    else {
      for (let k = i; k < j; k++) {
        const o = from[k - i] as number;
        bytes.set(
          run.subarray(o, o + (offsets[k + 1] as number) - (offsets[k] as number)),
          offsets[k] as number,
        );
      }
    }
    i = j;
  }
  return arrow.makeData({
    type: type as arrow.Utf8,
    length: n,
    nullCount: nulls,
    nullBitmap: bitmap,
    valueOffsets: offsets,
    data: bytes.subarray(0, total),
  });
}

function boolData(type: arrow.DataType, vector: duckdb.Vector, n: number): arrow.Data {
  const { bitmap, nulls } = validityOf(vector, n);
  const raw = duckdb.vector_get_data(vector, n);
  const data = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (raw[i]) data[i >> 3] = (data[i >> 3] as number) | (1 << (i & 7));
  return arrow.makeData({ type: type as arrow.Bool, length: n, nullCount: nulls, nullBitmap: bitmap, data });
}

function listData(spec: ColumnSpec, type: arrow.List, vector: duckdb.Vector, n: number): arrow.Data {
  const Item = FIXED[spec.type] as FixedCtor;
  const { bitmap, nulls } = validityOf(vector, n);
  // list_entry_t: uint64 offset, uint64 length into the child vector (a chunk holds < 2^32 items).
  const entries = duckdb.vector_get_data(vector, n * 16);
  const e = new Uint32Array(entries.buffer, entries.byteOffset, n * 4);
  const child = duckdb.list_vector_get_child(vector);
  const size = duckdb.list_vector_get_size(vector);
  const offsets = new Int32Array(n + 1);
  let total = 0;
  let contiguous = true;
  for (let i = 0; i < n; i++) {
    if (isValid(bitmap, i)) {
      if (e[i * 4] !== total) contiguous = false;
      total += e[i * 4 + 2] as number;
    }
    offsets[i + 1] = total;
  }
  const all = fixedValues(Item, duckdb.vector_get_data(child, size * Item.BYTES_PER_ELEMENT), size);
  const itemValidity = validityOf(child, size);
  let items: Fixed = all;
  let itemBitmap = itemValidity.bitmap;
  let itemNulls = itemValidity.nulls;
  if (!contiguous || total !== size) {
    // Rows out of order in the child vector: gather each row's items.
    items = new (Item as unknown as { new (n: number): Fixed })(total);
    const gathered = itemBitmap ? new Uint8Array((total + 7) >> 3) : undefined;
    itemNulls = 0;
    for (let i = 0; i < n; i++) {
      const at = offsets[i] as number;
      const len = (offsets[i + 1] as number) - at;
      if (len === 0) continue;
      const from = e[i * 4] as number;
      items.set(all.subarray(from, from + len), at);
      if (gathered) {
        for (let j = 0; j < len; j++) {
          if (isValid(itemBitmap, from + j)) setBit(gathered, at + j);
          else itemNulls++;
        }
      }
    }
    itemBitmap = itemNulls ? gathered : undefined;
  }
  const itemData = arrow.makeData({
    type: (type.children[0] as arrow.Field).type as arrow.Int32,
    length: total,
    nullCount: itemNulls,
    nullBitmap: itemBitmap,
    data: items as Int32Array,
  });
  return arrow.makeData({
    type,
    length: n,
    nullCount: nulls,
    nullBitmap: bitmap,
    valueOffsets: offsets,
    child: itemData,
  });
}

function columnData(spec: ColumnSpec, type: arrow.DataType, vector: duckdb.Vector, n: number): arrow.Data {
  switch (spec.type) {
    case 'utf8':
      return utf8Data(type, vector, n);
    case 'bool':
      return boolData(type, vector, n);
    case 'int8':
    case 'int32':
    case 'float32':
    case 'float64': {
      const Ctor = FIXED[spec.type] as FixedCtor;
      const { bitmap, nulls } = validityOf(vector, n);
      const data = fixedValues(Ctor, duckdb.vector_get_data(vector, n * Ctor.BYTES_PER_ELEMENT), n);
      return arrow.makeData({
        type: type as arrow.Int32,
        length: n,
        nullCount: nulls,
        nullBitmap: bitmap,
        data: data as Int32Array,
      });
    }
    default:
      return listData(spec, type as arrow.List, vector, n);
  }
}

// Concatenation of one column's chunk Data into one batch's (a batch is a few DuckDB chunks).
function concatBitmaps(parts: readonly arrow.Data[], length: number): { bitmap?: Uint8Array; nulls: number } {
  const nulls = parts.reduce((s, d) => s + d.nullCount, 0);
  if (nulls === 0) return { nulls };
  const bitmap = new Uint8Array((length + 7) >> 3);
  let at = 0;
  for (const d of parts) {
    if (!d.nullBitmap || d.nullCount === 0) {
      for (let i = 0; i < d.length; i++) setBit(bitmap, at + i);
    } else if ((at & 7) === 0) {
      bitmap.set(d.nullBitmap.subarray(0, (d.length + 7) >> 3), at >> 3);
      // The copied last byte's bits past this part are not its rows: clear them for the next part.
      const end = at + d.length;
      if (end & 7) bitmap[end >> 3] = (bitmap[end >> 3] as number) & ((1 << (end & 7)) - 1);
    } else {
      for (let i = 0; i < d.length; i++) if (isValid(d.nullBitmap, i)) setBit(bitmap, at + i);
    }
    at += d.length;
  }
  return { bitmap, nulls };
}

/** An uninitialised typed array (every element is written before it is read: no zero-fill). */
function allocTyped<A extends Uint8Array | Fixed>(like: A, length: number): A {
  const Ctor = like.constructor as {
    new (buffer: ArrayBufferLike, offset: number, length: number): A;
    BYTES_PER_ELEMENT: number;
  };
  const buf = Buffer.allocUnsafeSlow(length * Ctor.BYTES_PER_ELEMENT);
  return new Ctor(buf.buffer, buf.byteOffset, length);
}

function concatTyped<A extends Uint8Array | Fixed>(parts: readonly A[], total: number): A {
  const out = allocTyped(parts[0] as A, total);
  let at = 0;
  for (const p of parts) {
    out.set(p as never, at);
    at += p.length;
  }
  return out;
}

function concatData(parts: readonly arrow.Data[]): arrow.Data {
  if (parts.length === 1) return parts[0] as arrow.Data;
  const first = parts[0] as arrow.Data;
  const length = parts.reduce((s, d) => s + d.length, 0);
  const { bitmap, nulls } = concatBitmaps(parts, length);
  const type = first.type;
  if (first.valueOffsets) {
    const offsets = new Int32Array(length + 1);
    let row = 0;
    let base = 0;
    for (const d of parts) {
      const o = d.valueOffsets as Int32Array;
      for (let i = 1; i <= d.length; i++) offsets[row + i] = base + (o[i] as number);
      row += d.length;
      base += o[d.length] as number;
    }
    if (first.typeId === arrow.Type.Utf8) {
      const data = concatTyped(
        parts.map((d) => d.values as Uint8Array),
        base,
      );
      return arrow.makeData({
        type: type as arrow.Utf8,
        length,
        nullCount: nulls,
        nullBitmap: bitmap,
        valueOffsets: offsets,
        data,
      });
    }
    const child = concatData(parts.map((d) => d.children[0] as arrow.Data));
    return arrow.makeData({
      type: type as arrow.List,
      length,
      nullCount: nulls,
      nullBitmap: bitmap,
      valueOffsets: offsets,
      child,
    });
  }
  if (first.typeId === arrow.Type.Bool) {
    const data = new Uint8Array((length + 7) >> 3);
    let at = 0;
    for (const d of parts) {
      for (let i = 0; i < d.length; i++) if (isValid(d.values as Uint8Array, i)) setBit(data, at + i);
      at += d.length;
    }
    return arrow.makeData({ type: type as arrow.Bool, length, nullCount: nulls, nullBitmap: bitmap, data });
  }
  const data = concatTyped(
    parts.map((d) => d.values as Fixed),
    length,
  );
  return arrow.makeData({
    type: type as arrow.Int32,
    length,
    nullCount: nulls,
    nullBitmap: bitmap,
    data: data as Int32Array,
  });
}

function batchOf(schema: arrow.Schema, columns: readonly arrow.Data[][], length: number): arrow.RecordBatch {
  const children = columns.map((parts) => concatData(parts));
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children });
  return new arrow.RecordBatch(schema, struct);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Rows in one of DuckDB's chunks at most (its vector size): the unit the reader decodes. */
export const CHUNK_ROWS = duckdb.vector_size();

/** Rows a window of the scan holds at least (whole row groups, two of them at the least). */
const WINDOW_ROWS = 16_384;

export interface NativeReadOptions {
  /**
   * The most rows a yielded batch holds. Omitted: each decoded chunk (up to CHUNK_ROWS rows) is
   * a batch, with no copy beyond the one out of DuckDB. Larger: consecutive chunks are joined
   * (one more copy) while they fit; smaller: chunks are sliced (no copy).
   */
  batchRows?: number;
  /** The file's row groups' row counts, in order (its footer). */
  rowGroups: readonly number[];
  /** Scan the whole file at once (the caller keeps every batch anyway): no window bound. */
  whole?: boolean;
  /** Rows a window holds at least (default WINDOW_ROWS; tests make it small). */
  windowRows?: number;
}

/** Consecutive row groups as [first row, end row) windows of at least WINDOW_ROWS rows. */
function windowsOf(rowGroups: readonly number[], whole: boolean, least: number): [number, number][] {
  const out: [number, number][] = [];
  let at = 0;
  let start = 0;
  let groups = 0;
  for (const rows of rowGroups) {
    at += rows;
    groups++;
    if (!whole && at - start >= least && groups >= 2) {
      out.push([start, at]);
      start = at;
      groups = 0;
    }
  }
  if (at > start) out.push([start, at]);
  return out;
}

interface Chunk {
  n: number;
  columns: arrow.Data[];
}

/**
 * Streams the columns `specs` of one Parquet file as record batches of `schema` (whose fields are
 * those columns, in order), in row order. Memory stays at a few windows of the scan.
 */
export async function* nativeParquetBatches(
  path: string,
  specs: readonly ColumnSpec[],
  schema: arrow.Schema,
  opts: NativeReadOptions,
): AsyncGenerator<arrow.RecordBatch> {
  const types = specs.map((s) => arrowType(s.type));
  const total = opts.rowGroups.reduce((a, b) => a + b, 0);
  const windowRows = opts.windowRows ?? WINDOW_ROWS;
  const windows = windowsOf(opts.rowGroups, opts.whole ?? false, windowRows);
  const fail = (err: unknown) =>
    (err as { type?: string }).type
      ? err
      : storeError('UnreadableParquet', `${path}: cannot read (${describe(err)})`, err);

  const pending = new Map<number, Chunk>();
  let failure: unknown;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const id = nextSink++;
  sinks.set(id, {
    specs,
    types,
    accept(first, n, columns) {
      pending.set(first, { n, columns });
      signal();
    },
    fail(err) {
      failure ??= err;
      signal();
    },
  });

  const args = specs.map((s) => `CAST(${sqlName(s.name)} AS ${DUCK[s.type]})`).join(', ');
  const source = `read_parquet(${sqlString(path)}, file_row_number = true)`;
  const idle: DuckDBConnection[] = [];
  const running = new Map<Promise<void>, DuckDBConnection>();
  let started = 0;
  let next = 0;
  let yielded = 0;
  const startWindow = async () => {
    const [from, to] = windows[next++] as [number, number];
    started = to;
    const conn = idle.pop() ?? (await (await instance()).connect());
    const where = windows.length > 1 ? ` WHERE file_row_number >= ${from} AND file_row_number < ${to}` : '';
    const done: Promise<void> = conn
      .runAndReadAll(`SELECT count(${SINK}(${id}, file_row_number, ${args})) AS n FROM ${source}${where}`)
      .then((r) => {
        const n = Number(r.getRows()[0]?.[0]);
        if (n !== to - from) throw new Error(`rows ${from}-${to}: the scan gave ${n}`);
      })
      .catch((err) => {
        failure ??= err;
      })
      .finally(() => {
        running.delete(done);
        idle.push(conn);
        signal();
      });
    running.set(done, conn);
  };

  const most = opts.batchRows;
  let joined: arrow.Data[][] = specs.map(() => []);
  let joinedRows = 0;
  try {
    for (;;) {
      if (failure) throw fail(failure);
      // Up to two windows scanning, and no more than three windows' rows not yet yielded.
      while (running.size < 2 && next < windows.length && started - yielded < 3 * windowRows) {
        await startWindow().catch((err) => {
          throw fail(err);
        });
      }
      const chunk = pending.get(yielded);
      if (!chunk) {
        if (running.size === 0 && next >= windows.length) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      pending.delete(yielded);
      yielded += chunk.n;
      const { n, columns } = chunk;
      if (most === undefined) {
        yield batchOf(
          schema,
          columns.map((d) => [d]),
          n,
        );
        continue;
      }
      if (joinedRows > 0 && joinedRows + n > most) {
        yield batchOf(schema, joined, joinedRows);
        joined = specs.map(() => []);
        joinedRows = 0;
      }
      if (n >= most) {
        const whole = batchOf(
          schema,
          columns.map((d) => [d]),
          n,
        );
        for (let at = 0; at < n; at += most) yield whole.slice(at, Math.min(n, at + most));
        continue;
      }
      columns.forEach((d, c) => {
        (joined[c] as arrow.Data[]).push(d);
      });
      joinedRows += n;
    }
    if (failure) throw fail(failure);
    if (joinedRows > 0) yield batchOf(schema, joined, joinedRows);
    if (yielded !== total) {
      throw storeError(
        'UnreadableParquet',
        `${path}: cannot read (the scan stopped after ${yielded} of ${total} rows)`,
      );
    }
  } finally {
    // Stopped early (or failed): interrupt the scans still running, wait for them, then close.
    for (const conn of running.values()) conn.interrupt();
    await Promise.all(running.keys());
    sinks.delete(id);
    for (const conn of idle) conn.closeSync();
  }
}
