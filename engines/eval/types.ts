// Row types of evaluation: the greedy per-query results and the per-(benchmark, mode) summary, and
// how the three evaluation modes map onto the rollout engine's modes.
import type { Mode } from '../../schemas/rollout';

export type EvalMode = 'cot' | 'code' | 'auto';
export const EVAL_MODES: readonly EvalMode[] = ['cot', 'code', 'auto'];
export const MODE_OF: Record<EvalMode, Mode> = { cot: 'dictated_cot', code: 'dictated_code', auto: 'native' };
export const EVAL_OF: Record<Mode, EvalMode> = { dictated_cot: 'cot', dictated_code: 'code', native: 'auto' };

/** A query as evaluation reads it from a `queries` dataset. */
export interface EvalQuery {
  query_id: string;
  question: string;
  answer: string;
  source: string;
}

/** One row of `eval_results`: a greedy response to one query in one mode. */
export interface EvalResultRow {
  benchmark: string;
  query_id: string;
  mode: EvalMode;
  method: string | null;
  response_text: string;
  final_answer: string | null;
  answer: string;
  correct: boolean;
  code_calls: number;
  finish_reason: string;
  policy: string;
  error: string | null;
}

/** One row of `eval_summary`: a (group, mode); `metrics` is a JSON object of the group's further metrics. */
export interface SummaryRow {
  benchmark: string;
  mode: EvalMode;
  n: number;
  correct: number;
  accuracy: number;
  code_rate: number;
  policy: string;
  metrics: string | null;
}

/** One Monte-Carlo selection sample: a sampled response of a dictated mode and its reward. */
export interface SelectionSample {
  benchmark: string;
  query_id: string;
  mode: Mode;
  reward: number;
}

/** The family of a query (tiny_world/<family> sources), or null. */
export function familyOfSource(source: string): string | null {
  return /^[^/]+\/(.+)$/.exec(source)?.[1] ?? null;
}
