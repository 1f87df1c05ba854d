// Arrow schemas of the dataset kinds, and the check that a file's schema carries every column a
// kind needs with the right type (extra columns are allowed: newer writers may add some).
import * as arrow from 'apache-arrow';
import {
  type ColumnSpec,
  type ColumnType,
  DATASET_KINDS,
  type DatasetSchema,
  datasetSchema,
} from '../../schemas/datasets';
import { storeError } from './errors';

export function kindSchema(kind: string): DatasetSchema {
  try {
    return datasetSchema(kind);
  } catch {
    throw storeError(
      'UnknownDatasetKind',
      `unknown dataset kind "${kind}" (known: ${DATASET_KINDS.join(', ')})`,
    );
  }
}

export function arrowType(type: ColumnType): arrow.DataType {
  switch (type) {
    case 'utf8':
      return new arrow.Utf8();
    case 'bool':
      return new arrow.Bool();
    case 'int8':
      return new arrow.Int8();
    case 'int32':
      return new arrow.Int32();
    case 'float32':
      return new arrow.Float32();
    case 'float64':
      return new arrow.Float64();
    case 'list<int8>':
      return new arrow.List(new arrow.Field('item', new arrow.Int8(), true));
    case 'list<int32>':
      return new arrow.List(new arrow.Field('item', new arrow.Int32(), true));
    case 'list<float32>':
      return new arrow.List(new arrow.Field('item', new arrow.Float32(), true));
  }
}

export function arrowSchema(schema: DatasetSchema, columns?: readonly string[]): arrow.Schema {
  const specs = columns ? columns.map((c) => columnSpec(schema, c)) : schema.columns;
  return new arrow.Schema(specs.map((c) => new arrow.Field(c.name, arrowType(c.type), c.nullable)));
}

export function columnSpec(schema: DatasetSchema, name: string): ColumnSpec {
  const spec = schema.columns.find((c) => c.name === name);
  if (!spec) {
    throw storeError(
      'SchemaMismatch',
      `column "${name}" is not in ${schema.kind} v${schema.version} (columns: ${schema.columns.map((c) => c.name).join(', ')})`,
    );
  }
  return spec;
}

/** Whether a type read back from Parquet (any writer) stores the values `want` describes. */
export function typeMatches(got: arrow.DataType, want: ColumnType): boolean {
  const T = arrow.Type;
  switch (want) {
    case 'utf8':
      return got.typeId === T.Utf8 || got.typeId === T.LargeUtf8 || got.typeId === T.Utf8View;
    case 'bool':
      return got.typeId === T.Bool;
    case 'int8':
      return arrow.DataType.isInt(got) && got.bitWidth === 8 && got.isSigned;
    case 'int32':
      return arrow.DataType.isInt(got) && got.bitWidth === 32 && got.isSigned;
    case 'float32':
      return arrow.DataType.isFloat(got) && got.precision === arrow.Precision.SINGLE;
    case 'float64':
      return arrow.DataType.isFloat(got) && got.precision === arrow.Precision.DOUBLE;
    default: {
      if (got.typeId !== T.List && got.typeId !== T.LargeList) return false;
      const child = (got as arrow.List).children[0]?.type;
      const item = want.slice('list<'.length, -1) as ColumnType;
      return child !== undefined && typeMatches(child, item);
    }
  }
}

/** Throws SchemaMismatch naming the file and the first missing or mistyped column. */
export function checkSchema(
  got: arrow.Schema,
  schema: DatasetSchema,
  file: string,
  columns?: readonly string[],
) {
  const wanted = columns ? columns.map((c) => columnSpec(schema, c)) : schema.columns;
  for (const spec of wanted) {
    const field = got.fields.find((f) => f.name === spec.name);
    if (!field) {
      throw storeError(
        'SchemaMismatch',
        `${file}: column "${spec.name}" (${spec.type}) is missing for ${schema.kind} v${schema.version}`,
      );
    }
    if (!typeMatches(field.type, spec.type)) {
      throw storeError(
        'SchemaMismatch',
        `${file}: column "${spec.name}" has type ${field.type} but ${schema.kind} v${schema.version} needs ${spec.type}`,
      );
    }
  }
}
