// Row shapes the E-step reads and writes. Plain objects with the datasets' snake_case column names,
// so the store can hand rows over as they come out of Parquet.

export type Mode = 'dictated_cot' | 'dictated_code' | 'native';
export type Method = 'cot' | 'code';

export const MODES: readonly Mode[] = ['dictated_cot', 'dictated_code', 'native'];
export const METHODS: readonly Method[] = ['cot', 'code'];

/** The columns of a `rollouts` row that estimate and synthesize use. */
export interface RolloutForEm {
  query_id: string;
  mode: Mode;
  /** Index of the rollout among the query's rollouts in this mode. */
  sample: number;
  /** Method of the first round: code when it contains a ```python block. */
  method: Method;
  /** 1 when graded correct, else 0. */
  reward: number;
  prompt_token_ids: number[];
  response_text: string;
  response_token_ids: number[];
  behavior_logprobs: number[];
  /** 0 on tool-output tokens. */
  loss_mask: number[];
}

/** One row of the `estimates` dataset. */
export interface EstimateRow {
  query_id: string;
  n_cot: number;
  n_code: number;
  n_native: number;
  /** Q(x, m): mean reward of the dictated rollouts of method m; null when there are none. */
  q_cot: number | null;
  q_code: number | null;
  /** prior(m | x): smoothed share of native rollouts whose first round used m. */
  prior_cot: number;
  prior_code: number;
  /** Reference strategy q(m | x) ∝ prior(m | x)·exp(Q(x, m)/α). */
  ref_cot: number;
  ref_code: number;
  decision: Method;
  /** No dictated rollout for either method: decision cot, ref from the prior. */
  no_evidence: boolean;
}

export type TrainKind = 'exploratory' | 'reflective';

/** One row of the `train` dataset: a complete response to learn from, on one prompt. */
export interface TrainRow {
  sample_id: string;
  query_id: string;
  kind: TrainKind;
  decision: Method;
  /** A copy of an exploratory sample on its original dictated prompt. */
  replay: boolean;
  /**
   * The training context differs from the one `behavior_logprobs` were sampled in (a dictated
   * rollout on the no-hint prompt, every reflective sample): the update must rescore it under the
   * iteration's starting policy. false for native exploratory rows and replay rows.
   */
  rescore: boolean;
  prompt_token_ids: number[];
  response_token_ids: number[];
  loss_mask: number[];
  /** NaN where no behaviour log-prob was recorded (reflective prefix): the update uses ratio 1 there. */
  behavior_logprobs: number[];
  reward: number;
  advantage: number;
  weight: number;
}

/** The policy server's /tokenize for plain text, without special tokens. */
export type Tokenize = (text: string) => Promise<number[]>;
