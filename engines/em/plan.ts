// Synthesis plan for one query, without tokens: which samples are selected and their advantages.
// Pure and synchronous; only reflective prefixes need the tokenizer afterwards.
import { emInputError } from './errors';
import type { SynthesizeParams } from './params';
import { Rng } from './rng';
import type { Method, RolloutForEm } from './types';
import { clip, whiten } from './whiten';

export type PlannedSample =
  | { kind: 'exploratory'; source: RolloutForEm }
  | { kind: 'reflective'; failed: RolloutForEm; correct: RolloutForEm };

export type DropReason = 'all_wrong' | 'all_correct' | 'no_candidates';

export interface QueryPlan {
  query_id: string;
  decision: Method;
  native_prompt: number[];
  /** Selected samples: reflective first, then exploratory in shuffled order. */
  selected: PlannedSample[];
  /** Whitened rewards before clipping (over the query's whole candidate pool), aligned with `selected`. */
  whitened: number[];
  /** Clipped advantages, aligned with `selected`. */
  advantages: number[];
  /** Set when the query contributes no training rows. */
  dropped: DropReason | null;
}

const MODE_ORDER = { dictated_cot: 0, dictated_code: 1, native: 2 } as const;

/** Canonical order (mode, sample): the selection must not depend on how the store ordered rows. */
function canonical(rows: readonly RolloutForEm[]): RolloutForEm[] {
  return [...rows].sort((a, b) => MODE_ORDER[a.mode] - MODE_ORDER[b.mode] || a.sample - b.sample);
}

export function otherMethod(m: Method): Method {
  return m === 'cot' ? 'code' : 'cot';
}

function samePrompt(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The query's no-hint prompt: every native rollout of a query must share it. */
export function nativePrompt(query_id: string, rows: readonly RolloutForEm[]): number[] {
  let prompt: number[] | null = null;
  for (const r of rows) {
    if (r.mode !== 'native') continue;
    if (prompt === null) prompt = r.prompt_token_ids;
    else if (!samePrompt(prompt, r.prompt_token_ids)) {
      throw emInputError(
        `query ${JSON.stringify(query_id)}: native rollouts have different prompt_token_ids`,
      );
    }
  }
  if (prompt === null) {
    throw emInputError(
      `query ${JSON.stringify(query_id)}: no native rollout, so there is no no-hint prompt to train on`,
    );
  }
  return prompt;
}

export function rewardOf(s: PlannedSample): number {
  return s.kind === 'reflective' ? 1 : s.source.reward;
}

/**
 * Plans one query. `rows` are the query's validated rollouts, `decision` its reference decision.
 *
 * The candidate pool is the drawn reflective samples (reward 1) plus every exploratory candidate
 * (rollouts whose method is the decision; every rollout with `keep_other_correct`). The query is
 * judged and whitened on that pool, before subsampling: an all-wrong pool is dropped, an all-correct
 * one gets advantage +1 (or is dropped with `all_correct: 'drop'`). Then the reflective samples and a
 * seeded shuffle of the emittable exploratory candidates fill `max_per_query`.
 */
export function planQuery(
  query_id: string,
  rows: readonly RolloutForEm[],
  decision: Method,
  params: SynthesizeParams,
): QueryPlan {
  rows = canonical(rows);
  const native_prompt = nativePrompt(query_id, rows);
  const other = otherMethod(decision);
  const reflective: PlannedSample[] = [];
  if (params.reflective) {
    const failed = rows.filter((r) => r.method === other && r.reward === 0);
    const correct = rows.filter((r) => r.method === decision && r.reward === 1);
    const cap = Math.ceil(params.max_per_query / 2);
    const rng = new Rng([params.seed, query_id, 'reflective']);
    // Distinct (failed, correct) pairs, drawn without building the F×C list.
    for (const i of rng.pick(failed.length * correct.length, cap)) {
      reflective.push({
        kind: 'reflective',
        failed: failed[Math.floor(i / correct.length)] as RolloutForEm,
        correct: correct[i % correct.length] as RolloutForEm,
      });
    }
  }
  // The reference decision chooses the exploratory samples (the paper's "restricting training
  // samples to those methodology choices with higher utility"); the other method's failures are
  // only read, as reflective attempts.
  const exploratory: PlannedSample[] = params.exploratory
    ? rows
        .filter((r) => r.method === decision || params.keep_other_correct)
        .map((r) => ({ kind: 'exploratory', source: r }))
    : [];
  const pool = [...reflective, ...exploratory];
  const rewards = pool.map(rewardOf);
  const empty: QueryPlan = {
    query_id,
    decision,
    native_prompt,
    selected: [],
    whitened: [],
    advantages: [],
    dropped: null,
  };
  if (pool.length === 0) return { ...empty, dropped: 'no_candidates' };
  if (rewards.every((r) => r === 0)) return { ...empty, dropped: 'all_wrong' };
  const allCorrect = rewards.every((r) => r === 1);
  if (allCorrect && params.all_correct === 'drop') return { ...empty, dropped: 'all_correct' };
  // All correct: the authors' +1 (whitening would give 0 and no gradient).
  const values = allCorrect ? rewards.map(() => 1) : whiten(rewards);
  // Without negative samples only correct ones are emitted (the paper's synthesized set), each
  // weighted by how rare success was in its query's pool.
  const emittable = (i: number) => params.negative_samples || rewards[i] === 1;
  const candidates = exploratory.map((_, j) => reflective.length + j).filter(emittable);
  const room = Math.max(0, params.max_per_query - reflective.length);
  const rng = new Rng([params.seed, query_id, 'exploratory']);
  const chosen = [
    ...reflective.map((_, i) => i),
    ...rng.pick(candidates.length, room).map((k) => candidates[k] as number),
  ];
  const whitened = chosen.map((i) => values[i] as number);
  return {
    ...empty,
    selected: chosen.map((i) => pool[i] as PlannedSample),
    whitened,
    advantages: whitened.map((a) => clip(a, params.adv_clip)),
  };
}
