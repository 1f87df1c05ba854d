// Plain row objects <-> Arrow record batches, column by column into typed arrays (the Arrow
// builders are several times slower for list columns). Rows are checked as they are packed; an
// error names the column and the row.
import * as arrow from 'apache-arrow';
import type { ColumnSpec, DatasetSchema, Row } from '../../schemas/datasets';
import { arrowSchema, arrowType } from './arrow-schema';
import { storeError } from './errors';

const LIST_ITEM: Record<string, { new (n: number): Int8Array | Int32Array | Float32Array }> = {
  'list<int8>': Int8Array,
  'list<int32>': Int32Array,
  'list<float32>': Float32Array,
};

function bad(schema: DatasetSchema, spec: ColumnSpec, row: number, what: string): never {
  throw storeError('InvalidRow', `${schema.kind} row ${row}: column "${spec.name}" (${spec.type}) ${what}`);
}

/** Validity bitmap, or undefined when every value is present. */
function validity(rows: readonly Row[], spec: ColumnSpec, schema: DatasetSchema, first: number) {
  let nulls = 0;
  let bitmap: Uint8Array | undefined;
  for (let i = 0; i < rows.length; i++) {
    const v = (rows[i] as Row)[spec.name];
    if (v === null || v === undefined) {
      if (!spec.nullable) bad(schema, spec, first + i, 'is missing');
      if (!bitmap) bitmap = new Uint8Array((rows.length + 7) >> 3).fill(0xff);
      bitmap[i >> 3] = (bitmap[i >> 3] as number) & ~(1 << (i & 7));
      nulls++;
    }
  }
  return { nulls, bitmap };
}

function packColumn(
  rows: readonly Row[],
  spec: ColumnSpec,
  schema: DatasetSchema,
  first: number,
): arrow.Data {
  const n = rows.length;
  const type = arrowType(spec.type);
  const { nulls, bitmap } = validity(rows, spec, schema, first);
  const value = (i: number) => (rows[i] as Row)[spec.name];
  switch (spec.type) {
    case 'utf8': {
      const offsets = new Int32Array(n + 1);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const v = value(i);
        if (v !== null && v !== undefined) {
          if (typeof v !== 'string') bad(schema, spec, first + i, `is ${typeof v}, not a string`);
          total += Buffer.byteLength(v, 'utf8');
        }
        offsets[i + 1] = total;
      }
      if (total > 0x7fffffff) bad(schema, spec, first, 'holds over 2 GiB in one row group');
      const data = Buffer.allocUnsafe(total);
      for (let i = 0; i < n; i++) {
        const v = value(i);
        if (typeof v === 'string') data.write(v, offsets[i] as number, 'utf8');
      }
      return arrow.makeData({
        type: type as arrow.Utf8,
        length: n,
        nullCount: nulls,
        nullBitmap: bitmap,
        valueOffsets: offsets,
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      });
    }
    case 'bool': {
      const data = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) {
        const v = value(i);
        if (v === null || v === undefined) continue;
        if (typeof v !== 'boolean') bad(schema, spec, first + i, `is ${typeof v}, not a boolean`);
        if (v) data[i >> 3] = (data[i >> 3] as number) | (1 << (i & 7));
      }
      return arrow.makeData({
        type: type as arrow.Bool,
        length: n,
        nullCount: nulls,
        nullBitmap: bitmap,
        data,
      });
    }
    case 'int8':
    case 'int32':
    case 'float32':
    case 'float64': {
      const Ctor = { int8: Int8Array, int32: Int32Array, float32: Float32Array, float64: Float64Array }[
        spec.type
      ];
      const data = new Ctor(n);
      const integer = spec.type.startsWith('int');
      for (let i = 0; i < n; i++) {
        const v = value(i);
        if (v === null || v === undefined) continue;
        if (typeof v !== 'number' || (integer && !Number.isInteger(v))) {
          bad(schema, spec, first + i, `is ${JSON.stringify(v)}, not ${integer ? 'an integer' : 'a number'}`);
        }
        data[i] = v;
      }
      return arrow.makeData({
        type: type as arrow.Int32,
        length: n,
        nullCount: nulls,
        nullBitmap: bitmap,
        data,
      });
    }
    default: {
      const Item = LIST_ITEM[spec.type] as { new (n: number): Int8Array | Int32Array | Float32Array };
      const offsets = new Int32Array(n + 1);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const v = value(i);
        if (v !== null && v !== undefined) {
          if (!Array.isArray(v) && !ArrayBuffer.isView(v)) bad(schema, spec, first + i, 'is not an array');
          total += (v as ArrayLike<number>).length;
        }
        offsets[i + 1] = total;
      }
      const items = new Item(total);
      for (let i = 0; i < n; i++) {
        const v = value(i) as ArrayLike<number> | null | undefined;
        if (v === null || v === undefined) continue;
        if (Array.isArray(v)) {
          const start = offsets[i] as number;
          for (let j = 0; j < v.length; j++) {
            const x = v[j];
            if (typeof x !== 'number') bad(schema, spec, first + i, `has a non-number at index ${j}`);
            items[start + j] = x;
          }
        } else items.set(v, offsets[i] as number);
      }
      const listType = type as arrow.List;
      const child = arrow.makeData({
        type: (listType.children[0] as arrow.Field).type as arrow.Int32,
        length: total,
        nullCount: 0,
        data: items,
      });
      return arrow.makeData({
        type: listType,
        length: n,
        nullCount: nulls,
        nullBitmap: bitmap,
        valueOffsets: offsets,
        child,
      });
    }
  }
}

/** Packs rows into one record batch of the kind's schema; `first` numbers rows in error messages. */
export function rowsToBatch(schema: DatasetSchema, rows: readonly Row[], first = 0): arrow.RecordBatch {
  const aSchema = arrowSchema(schema);
  const children = schema.columns.map((spec) => packColumn(rows, spec, schema, first));
  const struct = arrow.makeData({
    type: new arrow.Struct(aSchema.fields),
    length: rows.length,
    nullCount: 0,
    children,
  });
  return new arrow.RecordBatch(aSchema, struct);
}

/** Mean bytes per value up to which a string column is decoded in one piece (see columnValues). */
const SHORT_STRINGS = 12;

function columnValues(vector: arrow.Vector, n: number): unknown[] {
  const out: unknown[] = new Array(n);
  let at = 0;
  for (const data of vector.data) {
    const T = arrow.Type;
    const valid = (i: number) => data.nullCount === 0 || data.getValid(i);
    if (data.typeId === T.Utf8 && data.valueOffsets && data.values) {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const start = offsets[0] as number;
      const end = offsets[data.length] as number;
      // Short strings (ids, modes, answers): one UTF-8 decode for the whole chunk, then slices, when
      // it is ASCII (a character per byte). Each decode call costs ~200 ns, a slice ~40 ns. Long
      // strings are decoded one by one: a slice of 13+ characters would keep the chunk's text alive.
      const whole = end - start <= SHORT_STRINGS * data.length ? buf.toString('utf8', start, end) : undefined;
      if (whole !== undefined && whole.length === end - start) {
        for (let i = 0; i < data.length; i++) {
          out[at++] = valid(i)
            ? whole.slice((offsets[i] as number) - start, (offsets[i + 1] as number) - start)
            : null;
        }
      } else {
        for (let i = 0; i < data.length; i++) {
          out[at++] = valid(i) ? buf.toString('utf8', offsets[i], offsets[i + 1]) : null;
        }
      }
    } else if (
      data.typeId === T.List &&
      data.children[0]?.values &&
      ArrayBuffer.isView(data.children[0].values)
    ) {
      const offsets = data.valueOffsets as Int32Array;
      const child = data.children[0];
      // Offsets index the child's logical values; its values buffer is already sliced to them.
      const items = child.values as Int32Array;
      for (let i = 0; i < data.length; i++) {
        out[at++] = valid(i)
          ? Array.from(items.subarray(offsets[i] as number, offsets[i + 1] as number))
          : null;
      }
    } else {
      const v = arrow.makeVector(data);
      for (let i = 0; i < data.length; i++) {
        const x = v.get(i);
        out[at++] = x === null || x === undefined ? null : typeof x === 'bigint' ? Number(x) : x;
      }
    }
  }
  return out;
}

type RowMaker = (columns: readonly unknown[][], n: number) => Row[];
const rowMakers = new Map<string, RowMaker>();

// Rows built as object literals by a function made once per column list: one allocation per row,
// every row the same shape, several times faster than adding the properties one by one. Keys go in
// as JSON string literals (any name is safe), except "__proto__", which a literal would not make a
// property of.
function rowMaker(names: readonly string[]): RowMaker | undefined {
  if (names.includes('__proto__')) return undefined;
  const key = JSON.stringify(names);
  let make = rowMakers.get(key);
  if (!make) {
    const locals = names.map((_, c) => `const c${c} = columns[${c}];`).join(' ');
    const fields = names.map((name, c) => `${JSON.stringify(name)}: c${c}[i]`).join(', ');
    make = new Function(
      'columns',
      'n',
      `${locals} const out = new Array(n); for (let i = 0; i < n; i++) out[i] = { ${fields} }; return out;`,
    ) as RowMaker;
    if (rowMakers.size >= 256) rowMakers.clear();
    rowMakers.set(key, make);
  }
  return make;
}

/** Plain row objects of an Arrow table (lists as number arrays, nulls as null). */
export function tableToRows(table: arrow.Table): Row[] {
  const n = table.numRows;
  const names = table.schema.fields.map((f) => f.name);
  const columns = names.map((name) => columnValues(table.getChild(name) as arrow.Vector, n));
  const make = rowMaker(names);
  if (make) return make(columns, n);
  const rows: Row[] = Array.from({ length: n }, () => ({}));
  names.forEach((name, c) => {
    const values = columns[c] as unknown[];
    for (let i = 0; i < n; i++) (rows[i] as Row)[name] = values[i];
  });
  return rows;
}

/**
 * The same values as tableToRows, one array per column instead of an object per row: for callers
 * that go column by column (a lookup from one column to another, a sum), no row objects are built.
 */
export function tableToColumns(table: arrow.Table): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const field of table.schema.fields) {
    out[field.name] = columnValues(table.getChild(field.name) as arrow.Vector, table.numRows);
  }
  return out;
}
