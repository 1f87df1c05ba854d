// Code4Math demonstrations (paper §3: a base model fine-tuned on CoT and code solutions before EM): the
// rows of a JSONL or Parquet file, local or in a Hub dataset, become a `demonstrations` dataset whose
// prompts are rendered with the run's templates exactly as the rollouts render them, so SFT and EM see
// the same prompts. Keyed by the files' bytes (sha256) and the templates, not by where the files are.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Raw } from '../../datasets/benchmarks';
import { parseJsonl, parseParquet } from '../../datasets/load';
import { pullSnapshot } from '../../engines/hub/hub';
import { renderPrompt } from '../../engines/rollouts/prompts';
import { contentKey, sha256Hex } from '../../engines/store/canonical';
import { lookup, openEntry } from '../../engines/store/catalog';
import { storeError } from '../../engines/store/errors';
import { writeDataset } from '../../engines/store/writer';
import type { DemonstrationsSource } from '../../pipelines/policy-source';
import type { Row } from '../../schemas/datasets';
import { type Method, MODES, type Mode, type PromptTemplates } from '../../schemas/rollout';
import type { DatasetRef } from '../../schemas/store';

export const CODE4MATH_PRODUCER = { activity: 'prepareRun.code4math', version: '1' };
const FIELD = 'policy.sft.demonstrations';
const DEMO_FILE = /\.(jsonl|parquet)$/;

interface DemoFile {
  origin: string;
  bytes: Uint8Array;
}

const invalid = (message: string) => storeError('InvalidInput', `${FIELD}: ${message}`);

async function localFile(path: string): Promise<DemoFile> {
  const full = resolve(path.replace(/^file:\/\//, ''));
  if (!existsSync(full)) throw invalid(`${full}: no such file`);
  return { origin: full, bytes: new Uint8Array(await readFile(full)) };
}

/** The demonstrations files of a Hub dataset, through the store's Hub snapshot (cached like any pull). */
async function hubFiles(source: Exclude<DemonstrationsSource, string>): Promise<DemoFile[]> {
  const ref = await pullSnapshot({
    repo: source.hub,
    type: 'dataset',
    revision: source.revision,
    include: source.files,
  });
  const { dir, manifest } = await openEntry(ref);
  const paths = manifest.files
    .map((f) => f.path)
    .filter((p) => DEMO_FILE.test(p))
    .sort();
  if (paths.length === 0) {
    const listed = manifest.files.map((f) => f.path).join(', ');
    throw invalid(
      `hub dataset ${source.hub}@${source.revision} has no .jsonl or .parquet file (files: ${listed})`,
    );
  }
  return Promise.all(
    paths.map(async (p) => ({
      origin: `hub:datasets/${source.hub}@${source.revision}:${p}`,
      bytes: new Uint8Array(await readFile(join(dir, p))),
    })),
  );
}

function parse(file: DemoFile): Raw[] {
  const raw = file.origin.endsWith('.parquet')
    ? parseParquet(file.bytes, file.origin)
    : parseJsonl(new TextDecoder().decode(file.bytes), file.origin);
  if (raw.length === 0) throw invalid(`${file.origin}: no rows`);
  return raw;
}

function requireColumn(raw: Raw[], origin: string, column: 'question' | 'response'): void {
  if (!raw.some((r) => r[column] !== undefined)) {
    const columns = [...new Set(raw.flatMap((r) => Object.keys(r)))].join(', ');
    throw invalid(`${origin}: no column "${column}" (columns: ${columns})`);
  }
  raw.forEach((r, i) => {
    const v = r[column];
    if (typeof v !== 'string' || v.trim() === '')
      throw invalid(`${origin} row ${i + 1}: column "${column}" must be a non-empty string`);
  });
}

function optional<T extends string>(r: Raw, column: string, allowed: readonly T[], where: string): T | null {
  const v = r[column];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !allowed.includes(v as T))
    throw invalid(`${where}: column "${column}" is ${JSON.stringify(v)}; allowed: ${allowed.join(', ')}`);
  return v as T;
}

/**
 * One demonstration row. The prompt mode is the row's `mode`, else `dictated_<method>` when the row
 * names its method (the hint the dictated rollouts use), else `native`. The method is the row's, else
 * the one the mode dictates, else code exactly when the response has a ```python block (the rollouts'
 * definition of a code response).
 */
function toRow(r: Raw, index: number, where: string, templates: PromptTemplates): Row {
  const question = r.question as string;
  let response = r.response as string;
  const givenMode = optional<Mode>(r, 'mode', MODES, where);
  const givenMethod = optional<Method>(r, 'method', ['cot', 'code'], where);
  const mode: Mode = givenMode ?? (givenMethod ? `dictated_${givenMethod}` : 'native');
  const method: Method =
    givenMethod ??
    (mode === 'dictated_code'
      ? 'code'
      : mode === 'dictated_cot'
        ? 'cot'
        : response.includes('```python')
          ? 'code'
          : 'cot');
  const prompt = renderPrompt(templates, question, mode);
  // The model continues right after "Assistant:": its text starts with a space, as generated.
  if (/\S$/.test(prompt) && /^\S/.test(response)) response = ` ${response}`;
  const id = r.query_id;
  return {
    query_id: typeof id === 'string' && id ? id : `code4math/${index}`,
    mode,
    method,
    prompt,
    response,
  };
}

/**
 * Reads and checks the demonstrations (a missing file, a missing `question` / `response` column or a
 * bad value is a non-retryable error naming the file and column) and returns the function that
 * writes the dataset (or returns the cached one), so the caller can check everything before it
 * writes anything.
 */
export async function code4mathDemonstrations(
  source: DemonstrationsSource,
  templates: PromptTemplates,
): Promise<() => Promise<DatasetRef>> {
  const files = typeof source === 'string' ? [await localFile(source)] : await hubFiles(source);
  const parsed = files.map((f) => ({ origin: f.origin, raw: parse(f), sha256: sha256Hex(f.bytes) }));
  for (const p of parsed) {
    requireColumn(p.raw, p.origin, 'question');
    requireColumn(p.raw, p.origin, 'response');
  }
  let index = 0;
  const rows = parsed.flatMap((p) =>
    p.raw.map((r, i) => toRow(r, index++, `${p.origin} row ${i + 1}`, templates)),
  );
  const params = { templates };
  const inputs = Object.fromEntries(parsed.map((p, i) => [`file_${i}`, { sha256: p.sha256 }]));
  const key = contentKey({ producer: CODE4MATH_PRODUCER, params, inputs });
  return async () =>
    (await lookup('demonstrations', key)) ??
    writeDataset({ kind: 'demonstrations', key, producer: CODE4MATH_PRODUCER, params }, rows);
}
