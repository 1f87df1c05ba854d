// Scans and aggregations over store entries with DuckDB (multi-threaded, reads Parquet directly):
// the fast path for group-bys over rollouts, where Arrow-in-JS would loop row by row.
import { DuckDBInstance } from '@duckdb/node-api';
import type { DatasetRef } from '../../schemas/store';
import { listParts } from './reader';

/** `read_parquet([...])` over an entry's manifest files, for use inside SQL. */
export async function parquetSource(ref: DatasetRef | string): Promise<string> {
  const parts = await listParts(ref);
  if (parts.length === 0)
    throw new Error(`${typeof ref === 'string' ? ref : ref.uri}: entry has no parts to scan`);
  return `read_parquet([${parts.map((p) => `'${p.path.replaceAll("'", "''")}'`).join(', ')}])`;
}

/**
 * Runs SQL in a fresh in-memory DuckDB and returns plain JS rows (BIGINT counts come back as
 * numbers when they fit). `{name}` placeholders are replaced by parquetSource(sources[name]).
 */
export async function queryStore(
  sql: string,
  sources: Record<string, DatasetRef | string> = {},
  opts: { threads?: number; memoryLimit?: string } = {},
): Promise<Record<string, unknown>[]> {
  let text = sql;
  for (const [name, ref] of Object.entries(sources))
    text = text.replaceAll(`{${name}}`, await parquetSource(ref));
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(opts.threads ?? 2),
    memory_limit: opts.memoryLimit ?? '1GB',
  });
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(text);
    return reader.getRowObjectsJS().map((row) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(row)) {
        out[k] = typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : v;
      }
      return out;
    });
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
