// Loading a benchmark split into `queries` rows, from the local directory or the Hugging Face Hub.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { downloadFile } from '@huggingface/hub';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { storeError } from '../engines/store/errors';
import { ROOT } from '../infra/paths';
import { BENCHMARK_NAMES, BENCHMARKS, type Benchmark, type BenchmarkSplit, type Raw } from './benchmarks';

export interface QueryRow {
  query_id: string;
  source: string;
  question: string;
  answer: string;
  split: string;
  meta: string | null;
  [column: string]: unknown;
}

export interface LoadOptions {
  /** Local benchmarks directory; default $AUTOCODE_BENCHMARKS, else the nearest ../shared/datasets/benchmarks. */
  dir?: string;
  source?: 'local' | 'hub';
  /** Hub endpoint (default $HF_ENDPOINT, else the library's default) and token (default $HF_TOKEN). */
  hubUrl?: string;
  accessToken?: string;
  /** Overrides the registry's revision for Hub loads. */
  revision?: string;
}

export interface LoadedSplit {
  name: string;
  split: string;
  rows: QueryRow[];
  /** Rows left out because no question or gold answer could be extracted, with the reason. */
  skipped: { query_id: string; reason: string }[];
  /** Where the rows came from (file path or hub repo@revision:path). */
  origin: string;
  /** sha256 of the source bytes: part of the content key of the queries dataset. */
  source_sha256: string;
}

export function benchmarksDir(dir?: string): string {
  if (dir) return resolve(dir);
  if (process.env.AUTOCODE_BENCHMARKS) return resolve(process.env.AUTOCODE_BENCHMARKS);
  // The checkout may be nested (worktrees): take the nearest ancestor's shared/ folder.
  for (let up = resolve(ROOT, '..'); ; up = resolve(up, '..')) {
    const candidate = join(up, 'shared', 'datasets', 'benchmarks');
    if (existsSync(candidate) || up === resolve(up, '..')) return candidate;
  }
}

export function getBenchmark(name: string): Benchmark {
  const b = BENCHMARKS[name];
  if (!b)
    throw storeError(
      'UnknownBenchmark',
      `unknown benchmark "${name}" (known: ${BENCHMARK_NAMES.join(', ')})`,
    );
  return b;
}

function getSplit(b: Benchmark, split: string): BenchmarkSplit {
  const s = b.splits[split];
  if (!s)
    throw storeError(
      'UnknownBenchmark',
      `benchmark ${b.name} has no split "${split}" (has: ${Object.keys(b.splits).join(', ')})`,
    );
  return s;
}

export function parseJsonl(text: string, origin: string): Raw[] {
  const rows: Raw[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      rows.push(JSON.parse(line) as Raw);
    } catch (err) {
      throw storeError('InvalidInput', `${origin}:${i + 1}: not JSON (${(err as Error).message})`);
    }
  });
  return rows;
}

export function parseParquet(bytes: Uint8Array, origin: string): Raw[] {
  try {
    const table = arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream());
    return table.toArray().map((r) => r.toJSON() as Raw);
  } catch (err) {
    throw storeError(
      'UnreadableParquet',
      `${origin}: not a readable Parquet file (${(err as Error).message})`,
    );
  }
}

async function fetchRaw(
  b: Benchmark,
  split: string,
  opts: LoadOptions,
): Promise<{ raw: Raw[]; origin: string; bytes: Uint8Array }> {
  const s = getSplit(b, split);
  if (opts.source === 'hub') {
    if (!s.hub)
      throw storeError(
        'UnknownBenchmark',
        `benchmark ${b.name}/${split} has no Hub source registered; load it from the local directory`,
      );
    const revision = opts.revision ?? s.hub.revision;
    const origin = `hub:datasets/${s.hub.repo}@${revision}:${s.hub.path}`;
    const blob = await downloadFile({
      repo: { type: 'dataset', name: s.hub.repo },
      path: s.hub.path,
      revision,
      hubUrl: opts.hubUrl ?? process.env.HF_ENDPOINT,
      accessToken: opts.accessToken ?? process.env.HF_TOKEN,
      xet: false,
    });
    if (!blob) throw storeError('InvalidInput', `${origin}: file not found on the Hub`);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const raw =
      s.hub.format === 'jsonl'
        ? parseJsonl(new TextDecoder().decode(bytes), origin)
        : parseParquet(bytes, origin);
    return { raw, origin, bytes };
  }
  const path = join(benchmarksDir(opts.dir), s.file);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw storeError(
      'InvalidInput',
      `${path}: cannot read benchmark file (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  return { raw: parseJsonl(bytes.toString('utf8'), path), origin: path, bytes };
}

/** Loads one split of a benchmark as `queries` rows. `math` split `train` is math/test minus math500. */
export async function loadBenchmark(
  name: string,
  split = 'test',
  opts: LoadOptions = {},
): Promise<LoadedSplit> {
  const b = getBenchmark(name);
  const { raw, origin, bytes } = await fetchRaw(b, split, opts);
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256').update(bytes);
  let exclude: Set<string> | undefined;
  if (name === 'math' && split === 'train') {
    const m500 = await loadBenchmark('math500', 'test', { ...opts, source: 'local' });
    exclude = new Set(m500.rows.map((r) => r.question.trim()));
    hash.update(m500.source_sha256);
  }
  const rows: QueryRow[] = [];
  const skipped: LoadedSplit['skipped'] = [];
  raw.forEach((r, i) => {
    const query_id = `${name}/${split}/${i}`;
    const n = b.normalize(r);
    if (exclude && n.question && exclude.has(n.question.trim())) return;
    if (!n.question) skipped.push({ query_id, reason: 'no question text' });
    else if (!n.answer) skipped.push({ query_id, reason: 'no extractable gold answer' });
    else {
      const meta = Object.keys(n.meta).length > 0 ? JSON.stringify(n.meta) : null;
      rows.push({ query_id, source: name, question: n.question, answer: n.answer, split, meta });
    }
  });
  return { name, split, rows, skipped, origin, source_sha256: hash.digest('hex') };
}
