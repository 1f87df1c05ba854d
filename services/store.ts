// Temporal activities of the store (task queue `cpu`): they take and return small JSON only.
import { loadBenchmark } from '../datasets/load';
import { contentKey } from '../engines/store/canonical';
import { lookup, verify } from '../engines/store/catalog';
import { parseInput } from '../engines/store/parse';
import { writeDataset } from '../engines/store/writer';
import { type DatasetRef, DatasetRef as DatasetRefType, PrepareQueriesInput } from '../schemas/store';

export const PREPARE_QUERIES = { activity: 'prepareQueries', version: '1' };

/** The finished entry (kind, key), or null. */
export async function storeLookup(input: { kind: string; key: string }): Promise<DatasetRef | null> {
  return lookup(input.kind, input.key);
}

/** Re-hashes every file of an entry; fails non-retryably naming the first bad file. */
export async function storeVerify(ref: DatasetRef): Promise<DatasetRef> {
  return verify(parseInput(DatasetRefType, ref, 'storeVerify'));
}

/** Benchmark splits -> one `queries` dataset, content-addressed by the source bytes. */
export async function prepareQueries(raw: PrepareQueriesInput): Promise<DatasetRef> {
  const input = parseInput(PrepareQueriesInput, raw, 'prepareQueries');
  const loaded = [];
  for (const b of input.benchmarks)
    loaded.push(await loadBenchmark(b.name, b.split, { source: input.source }));
  const params = { benchmarks: input.benchmarks, limit: input.limit ?? null };
  const inputs = Object.fromEntries(loaded.map((l) => [`${l.name}/${l.split}`, { sha256: l.source_sha256 }]));
  const key = contentKey({ producer: PREPARE_QUERIES, params, inputs });
  const found = await lookup('queries', key);
  if (found) return found;
  const rows = loaded.flatMap((l) => (input.limit ? l.rows.slice(0, input.limit) : l.rows));
  return writeDataset({ kind: 'queries', key, producer: PREPARE_QUERIES, params }, rows);
}
