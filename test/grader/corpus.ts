// The labelled grader corpora: corpus.jsonl (hand-written cases) and three corpora modelled on what
// math models write (real-outputs, blind-2, blind-3: docs/grader.md), one case a line. Read by the
// corpus test and by bench/grader.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CorpusCase {
  id: string;
  class: string;
  source: string;
  gold: string;
  /** A final answer, compared as it is… */
  pred?: string;
  /** …or a full response, its answer extracted first. */
  response?: string;
  equal: boolean;
  /** A batch name (e.g. "blind": labelled before any grader ran on it). */
  batch?: string;
  /** Why the label is what it is, for people reading a disagreement. */
  note?: string;
}

export const CORPUS_PATH = new URL('./corpus.jsonl', import.meta.url);
export const REAL_OUTPUTS_PATH = new URL('./real-outputs.jsonl', import.meta.url);
/** The corpora modelled on model outputs, in the order they were written (each scored blind once). */
export const MODEL_OUTPUT_CORPORA: readonly URL[] = [
  REAL_OUTPUTS_PATH,
  new URL('./blind-2.jsonl', import.meta.url),
  new URL('./blind-3.jsonl', import.meta.url),
];

const STRING_FIELDS = ['id', 'class', 'source', 'gold'] as const;
const OPTIONAL_STRINGS = ['pred', 'response', 'batch', 'note'] as const;
const FIELDS = new Set<string>([...STRING_FIELDS, ...OPTIONAL_STRINGS, 'equal']);

/** One line as a case, or a message naming what is wrong with it. */
function parseCase(line: string): CorpusCase | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const rec = v as Record<string, unknown>;
  const unknown = Object.keys(rec).filter((k) => !FIELDS.has(k));
  if (unknown.length) return `unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}`;
  for (const k of STRING_FIELDS) if (typeof rec[k] !== 'string') return `"${k}" must be a string`;
  for (const k of OPTIONAL_STRINGS)
    if (k in rec && typeof rec[k] !== 'string') return `"${k}" must be a string when present`;
  if (typeof rec.equal !== 'boolean') return '"equal" must be true or false';
  if ('pred' in rec === 'response' in rec) return 'give exactly one of "pred" and "response"';
  return rec as unknown as CorpusCase;
}

/** Every case of a corpus file; blank lines are skipped, a bad line is an error naming it. */
export function readCorpus(path: string | URL = CORPUS_PATH): CorpusCase[] {
  const cases: CorpusCase[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const c = parseCase(line);
      if (typeof c === 'string')
        throw new Error(`${path instanceof URL ? fileURLToPath(path) : path}:${i + 1}: ${c}`);
      cases.push(c);
    });
  return cases;
}
