// The labelled grader corpus (corpus.jsonl): read by its test and by bench/grader.
import { readFileSync } from 'node:fs';

export interface CorpusCase {
  id: string;
  class: string;
  source: string;
  gold: string;
  pred?: string;
  response?: string;
  equal: boolean;
}

export const CORPUS_PATH = new URL('./corpus.jsonl', import.meta.url);

export function readCorpus(path: string | URL = CORPUS_PATH): CorpusCase[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CorpusCase);
}
