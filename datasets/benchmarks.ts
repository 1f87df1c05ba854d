// Benchmark registry: name -> source files (local JSONL, optionally the Hub) and a normaliser into
// the `queries` schema. Field names per source were read from the files themselves (see
// ../shared/datasets/README.md for provenance).
import { asdivAnswer, gsm8kAnswer, joinBody, lastBoxed, numberAnswer, stripDollars } from './answers';

export type Raw = Record<string, unknown>;

/** A benchmark row in the `queries` schema, before the id is given. */
export interface Normalized {
  question: string | null;
  answer: string | null;
  meta: Record<string, unknown>;
}

export interface HubFile {
  repo: string;
  /** Git revision on the Hub. "main" where no commit could be checked from this machine (see docs/store.md). */
  revision: string;
  path: string;
  format: 'jsonl' | 'parquet';
}

export interface BenchmarkSplit {
  /** Path under the local benchmarks directory. */
  file: string;
  hub?: HubFile;
}

export interface Benchmark {
  name: string;
  splits: Record<string, BenchmarkSplit>;
  normalize(raw: Raw): Normalized;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);
const pick = (raw: Raw, keys: string[]) =>
  Object.fromEntries(keys.filter((k) => raw[k] != null).map((k) => [k, raw[k]]));

export const BENCHMARKS: Record<string, Benchmark> = {
  gsm8k: {
    name: 'gsm8k',
    splits: {
      train: {
        file: 'gsm8k/train.jsonl',
        hub: {
          repo: 'openai/gsm8k',
          revision: 'main',
          path: 'main/train-00000-of-00001.parquet',
          format: 'parquet',
        },
      },
      test: {
        file: 'gsm8k/test.jsonl',
        hub: {
          repo: 'openai/gsm8k',
          revision: 'main',
          path: 'main/test-00000-of-00001.parquet',
          format: 'parquet',
        },
      },
    },
    normalize: (raw) => ({
      question: str(raw.question),
      answer: gsm8kAnswer(String(raw.answer ?? '')),
      meta: {},
    }),
  },
  math: {
    name: 'math',
    // `train` is derived: math/test minus the 500 problems of math500 (see load.ts).
    splits: { test: { file: 'math/test.jsonl' }, train: { file: 'math/test.jsonl' } },
    normalize: (raw) => ({
      question: str(raw.problem),
      answer: lastBoxed(String(raw.solution ?? '')),
      meta: pick(raw, ['level', 'type', 'idx']),
    }),
  },
  math500: {
    name: 'math500',
    splits: {
      test: {
        file: 'math500/test.jsonl',
        hub: { repo: 'HuggingFaceH4/MATH-500', revision: 'main', path: 'test.jsonl', format: 'jsonl' },
      },
    },
    normalize: (raw) => ({
      question: str(raw.problem),
      answer: str(raw.answer)?.trim() ?? lastBoxed(String(raw.solution ?? '')),
      meta: pick(raw, ['level', 'subject', 'unique_id']),
    }),
  },
  gaokao2023en: {
    name: 'gaokao2023en',
    splits: { test: { file: 'gaokao2023en/test.jsonl' } },
    normalize: (raw) => ({
      question: str(raw.question),
      answer: str(raw.answer) && stripDollars(String(raw.answer)),
      meta: pick(raw, ['source', 'id']),
    }),
  },
  olympiadbench: {
    name: 'olympiadbench',
    splits: { test: { file: 'olympiadbench/test.jsonl' } },
    normalize: (raw) => {
      const finals = Array.isArray(raw.final_answer)
        ? raw.final_answer.map((a) => stripDollars(String(a)))
        : [];
      const context = str(raw.context);
      return {
        question: context ? `${context}\n\n${raw.question}` : str(raw.question),
        answer: finals.length > 0 && finals.every((a) => a !== '') ? finals.join(', ') : null,
        meta: pick(raw, ['id', 'subfield', 'answer_type', 'unit', 'is_multiple_answer']),
      };
    },
  },
  college_math: {
    name: 'college_math',
    splits: { test: { file: 'college_math/test.jsonl' } },
    normalize: (raw) => ({
      question: str(raw.question),
      answer: str(raw.answer) && stripDollars(String(raw.answer)),
      meta: pick(raw, ['data_source', 'data_topic', 'question_number']),
    }),
  },
  asdiv: {
    name: 'asdiv',
    splits: { test: { file: 'asdiv/test.jsonl' } },
    normalize: (raw) => ({
      question: str(raw.question) && joinBody(String(raw.body ?? ''), String(raw.question)),
      answer: asdivAnswer(raw.answer),
      meta: pick(raw, ['solution_type', 'formula', 'idx']),
    }),
  },
  svamp: {
    name: 'svamp',
    splits: { test: { file: 'svamp/test.jsonl' } },
    normalize: (raw) => ({
      question: str(raw.Question) && joinBody(String(raw.Body ?? ''), String(raw.Question)),
      answer: numberAnswer(raw.Answer),
      meta: pick(raw, ['ID', 'Type', 'Equation']),
    }),
  },
  aime24: {
    name: 'aime24',
    splits: { test: { file: 'aime24/test.jsonl' } },
    normalize: (raw) => ({
      question: str(raw.problem) ?? str(raw.question),
      answer: numberAnswer(raw.answer),
      meta: pick(raw, ['id', 'url']),
    }),
  },
  amc23: {
    name: 'amc23',
    splits: { test: { file: 'amc23/test.jsonl' } },
    normalize: (raw) => ({
      question: str(raw.problem) ?? str(raw.question),
      answer: numberAnswer(raw.answer),
      meta: pick(raw, ['id', 'url']),
    }),
  },
};

export const BENCHMARK_NAMES = Object.keys(BENCHMARKS);
