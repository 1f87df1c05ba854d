// E-step, estimate: per query, Q(x,m) from dictated rollouts, the native prior, the reference
// strategy and its decision. One pass over the rows plus one pass over the queries.
import { groupByQuery } from './group';
import { type EstimateParamsInput, resolveEstimateParams } from './params';
import { drawDecision, nativePrior, type Reference, reference } from './reference';
import { Rng } from './rng';
import type { EstimateRow, Method, RolloutForEm } from './types';

export interface Counts {
  n_cot: number;
  n_code: number;
  correct_cot: number;
  correct_code: number;
  native_cot: number;
  native_code: number;
}

function count(rows: readonly RolloutForEm[]): Counts {
  const c: Counts = { n_cot: 0, n_code: 0, correct_cot: 0, correct_code: 0, native_cot: 0, native_code: 0 };
  for (const r of rows) {
    // Q is by mode (what was dictated), not by the method the response actually used.
    if (r.mode === 'dictated_cot') {
      c.n_cot++;
      c.correct_cot += r.reward;
    } else if (r.mode === 'dictated_code') {
      c.n_code++;
      c.correct_code += r.reward;
    } else if (r.method === 'cot') c.native_cot++;
    else c.native_code++;
  }
  return c;
}

/** The estimate of one query from its counts. Exported for tests; `estimate` is the entry point. */
export function estimateQuery(
  query_id: string,
  c: Counts,
  alpha: number,
  priorSmoothing: number,
  seed: number,
): EstimateRow {
  const q_cot = c.n_cot > 0 ? c.correct_cot / c.n_cot : null;
  const q_code = c.n_code > 0 ? c.correct_code / c.n_code : null;
  const prior = nativePrior(c.native_cot, c.native_code, priorSmoothing);
  let ref: Reference;
  let decision: Method;
  let no_evidence = false;
  if (q_cot === null && q_code === null) {
    // Nothing dictated: the decision defaults to cot, the reference reports the prior.
    ref = prior;
    decision = 'cot';
    no_evidence = true;
  } else {
    if (q_cot === null) ref = { ref_cot: 0, ref_code: 1 };
    else if (q_code === null) ref = { ref_cot: 1, ref_code: 0 };
    else ref = reference(q_cot, q_code, prior.ref_cot, prior.ref_code, alpha);
    if (alpha === 0) decision = ref.ref_cot >= ref.ref_code ? 'cot' : 'code';
    else decision = drawDecision(ref, new Rng([seed, query_id, 'decision']).next());
  }
  return {
    query_id,
    n_cot: c.n_cot,
    n_code: c.n_code,
    n_native: c.native_cot + c.native_code,
    q_cot,
    q_code,
    prior_cot: prior.ref_cot,
    prior_code: prior.ref_code,
    ref_cot: ref.ref_cot,
    ref_code: ref.ref_code,
    decision,
    no_evidence,
  };
}

/** One estimate row per query, in order of the query's first rollout. */
export function estimate(rows: readonly RolloutForEm[], paramsInput: EstimateParamsInput): EstimateRow[] {
  const params = resolveEstimateParams(paramsInput);
  const out: EstimateRow[] = [];
  for (const [query_id, group] of groupByQuery(rows, false)) {
    out.push(estimateQuery(query_id, count(group), params.alpha, params.prior_smoothing, params.seed));
  }
  return out;
}
