// Column layouts of every dataset kind, versioned. One source for the TypeScript writer/reader
// (turned into Arrow schemas in engines/store/arrow-schema.ts) and for docs; the Python worker
// reads the same files with pyarrow and checks columns by these names and types.
//
// Bump a kind's `version` when its columns change: the version is part of every manifest and of
// the content key, so old datasets are never read as new ones.

/** The column types the store writes. Lists are Arrow `list<item>`; strings are Arrow `utf8`. */
export type ColumnType =
  | 'utf8'
  | 'bool'
  | 'int8'
  | 'int32'
  | 'float32'
  | 'float64'
  | 'list<int8>'
  | 'list<int32>'
  | 'list<float32>';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable: boolean;
  doc: string;
}

export interface DatasetSchema {
  kind: DatasetKind;
  version: number;
  columns: readonly ColumnSpec[];
}

const col = (name: string, type: ColumnType, doc: string, nullable = false): ColumnSpec => ({
  name,
  type,
  nullable,
  doc,
});

export const QUERIES: DatasetSchema = {
  kind: 'queries',
  version: 1,
  columns: [
    col('query_id', 'utf8', 'stable id: <source>/<split>/<index in the source file>'),
    col('source', 'utf8', 'benchmark or generator name (gsm8k, math500, tiny-world, ...)'),
    col('question', 'utf8', 'problem text as shown to the model'),
    col('answer', 'utf8', 'gold final answer, as a string the grader compares against'),
    col('split', 'utf8', 'train | test | ...'),
    col('meta', 'utf8', 'JSON object of source-specific fields (level, subject, ...)', true),
  ],
};

export const ROLLOUTS: DatasetSchema = {
  kind: 'rollouts',
  version: 1,
  columns: [
    col('query_id', 'utf8', 'the query answered'),
    col('iteration', 'int32', 'EM iteration that sampled it'),
    col('mode', 'utf8', 'dictated_cot | dictated_code | native'),
    col('sample', 'int32', 'sample index within (query, mode)'),
    col('method', 'utf8', 'cot | code: the method of the first round', true),
    col('rounds', 'int32', 'generation rounds (1 + code executions continued)'),
    col('code_calls', 'int32', 'python blocks executed'),
    col('prompt_token_ids', 'list<int32>', 'prompt tokens'),
    col('response_text', 'utf8', 'full response including tool output blocks'),
    col('response_token_ids', 'list<int32>', 'response tokens, tool output included'),
    col('behavior_logprobs', 'list<float32>', 'log mu(token) at sampling time; 0 on tool tokens'),
    col('loss_mask', 'list<int8>', '1 on model tokens, 0 on tool output tokens'),
    col('final_answer', 'utf8', 'extracted answer', true),
    col('reward', 'float32', '1 correct, 0 wrong'),
    col('finish_reason', 'utf8', 'stop | length | error'),
    col('policy', 'utf8', 'checkpoint key (or name) that sampled it'),
    col('error', 'utf8', 'why the rollout failed, if it did', true),
  ],
};

export const ESTIMATES: DatasetSchema = {
  kind: 'estimates',
  version: 1,
  columns: [
    col('query_id', 'utf8', 'the query'),
    col('n_cot', 'int32', 'dictated CoT rollouts'),
    col('n_code', 'int32', 'dictated code rollouts'),
    col('q_cot', 'float64', 'Q(x, cot): mean reward of dictated CoT rollouts; null without any', true),
    col('q_code', 'float64', 'Q(x, code): mean reward of dictated code rollouts; null without any', true),
    col('n_native', 'int32', 'native rollouts'),
    col('prior_cot', 'float64', 'share of native rollouts whose first round was prose'),
    col('prior_code', 'float64', 'share of native rollouts whose first round was code'),
    col('ref_cot', 'float64', 'reference strategy q(cot | x)'),
    col('ref_code', 'float64', 'reference strategy q(code | x)'),
    col('decision', 'utf8', 'cot | code: the sampled (or argmax) reference decision'),
    col('no_evidence', 'bool', 'no dictated rollout for either method: decision from the prior'),
  ],
};

export const TRAIN: DatasetSchema = {
  kind: 'train',
  version: 2,
  columns: [
    col('sample_id', 'utf8', 'unique id of the training sample'),
    col('query_id', 'utf8', 'the query'),
    col('kind', 'utf8', 'exploratory | reflective'),
    col('decision', 'utf8', 'cot | code: the reference decision it follows'),
    col('replay', 'bool', 'a copy of an exploratory sample on its original dictated prompt'),
    col(
      'rescore',
      'bool',
      'trained in another context than its behaviour log-probs were sampled in (dictated rollout on the no-hint prompt, reflective sample)',
    ),
    col('prompt_token_ids', 'list<int32>', 'prompt tokens'),
    col('response_token_ids', 'list<int32>', 'response tokens'),
    col('loss_mask', 'list<int8>', '1 where the loss applies'),
    col(
      'behavior_logprobs',
      'list<float32>',
      'behaviour log-probs per response token; NaN where none was recorded (the update uses ratio 1)',
    ),
    col('reward', 'float32', 'reward of the response'),
    col('advantage', 'float32', 'whitened, clipped advantage'),
    col('weight', 'float32', 'sampling weight'),
  ],
};

export const EVAL_RESULTS: DatasetSchema = {
  kind: 'eval_results',
  version: 1,
  columns: [
    col('benchmark', 'utf8', 'benchmark name'),
    col('query_id', 'utf8', 'the query'),
    col('mode', 'utf8', 'cot | code | auto'),
    col('method', 'utf8', 'cot | code: what the response did', true),
    col('response_text', 'utf8', 'greedy response'),
    col('final_answer', 'utf8', 'extracted answer', true),
    col('answer', 'utf8', 'gold answer'),
    col('correct', 'bool', 'graded correct'),
    col('code_calls', 'int32', 'python blocks executed'),
    col('finish_reason', 'utf8', 'stop | length | error'),
    col('policy', 'utf8', 'checkpoint evaluated'),
    col('error', 'utf8', 'why it failed, if it did', true),
  ],
};

export const EVAL_SUMMARY: DatasetSchema = {
  kind: 'eval_summary',
  version: 1,
  columns: [
    col('benchmark', 'utf8', 'benchmark name'),
    col('mode', 'utf8', 'cot | code | auto'),
    col('n', 'int32', 'queries evaluated'),
    col('correct', 'int32', 'queries correct'),
    col('accuracy', 'float64', 'Pass@1'),
    col('code_rate', 'float64', 'share of responses that used code'),
    col('policy', 'utf8', 'checkpoint evaluated'),
    col('metrics', 'utf8', 'JSON object of further metrics (selection mAcc, alignment split, ...)', true),
  ],
};

/** Bootstrap SFT data: a rendered prompt and the response to imitate (loss on the response only). */
export const DEMONSTRATIONS: DatasetSchema = {
  kind: 'demonstrations',
  version: 1,
  columns: [
    col('query_id', 'utf8', 'the generated problem'),
    col('mode', 'utf8', 'dictated_cot | dictated_code | native: which prompt it was rendered with'),
    col('method', 'utf8', 'cot | code: the method the response uses'),
    col('prompt', 'utf8', "the prompt text, rendered with the run's templates"),
    col('response', 'utf8', 'the response text to imitate'),
  ],
};

export const DATASET_SCHEMAS = {
  queries: QUERIES,
  rollouts: ROLLOUTS,
  estimates: ESTIMATES,
  train: TRAIN,
  eval_results: EVAL_RESULTS,
  eval_summary: EVAL_SUMMARY,
  demonstrations: DEMONSTRATIONS,
} as const;

export type DatasetKind =
  | 'queries'
  | 'rollouts'
  | 'estimates'
  | 'train'
  | 'eval_results'
  | 'eval_summary'
  | 'demonstrations';
export const DATASET_KINDS = Object.keys(DATASET_SCHEMAS) as DatasetKind[];

/** Kinds of store entries that are not Parquet datasets but share the manifest format. */
export const CHECKPOINT_KIND = 'checkpoints';

/** One row of a dataset kind as a plain object: lists are number arrays, nullable columns may be null. */
export type Row = Record<string, unknown>;

export function datasetSchema(kind: string): DatasetSchema {
  const schema = (DATASET_SCHEMAS as Record<string, DatasetSchema>)[kind];
  if (!schema) throw new Error(`unknown dataset kind "${kind}" (known: ${DATASET_KINDS.join(', ')})`);
  return schema;
}
