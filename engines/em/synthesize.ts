// E-step, synthesize: training responses (self-exploratory and self-reflective) on the query's
// no-hint prompt, subsampled and whitened per query. Plans every query first (pure), then
// tokenizes each distinct reflective prefix once, with bounded concurrency, then assembles rows.
import { emInputError } from './errors';
import { groupByQuery } from './group';
import { resolveSynthesizeParams, type SynthesizeParams, type SynthesizeParamsInput } from './params';
import { planQuery, type QueryPlan } from './plan';
import { failedAttemptText, hintFor, prefixColumns, reflectivePrefix } from './reflect';
import { stableId } from './rng';
import {
  type EstimateRow,
  METHODS,
  type Method,
  type RolloutForEm,
  type Tokenize,
  type TrainRow,
} from './types';

export interface SynthesizeStats {
  queries: number;
  queries_kept: number;
  dropped_all_wrong: number;
  dropped_all_correct: number;
  dropped_no_candidates: number;
  exploratory: number;
  reflective: number;
  replay: number;
}

export interface SynthesizeOptions {
  /** Tokenize requests in flight at once (default 8). */
  concurrency?: number;
}

function decisions(estimates: readonly EstimateRow[]): Map<string, Method> {
  const out = new Map<string, Method>();
  for (let i = 0; i < estimates.length; i++) {
    const e = estimates[i] as EstimateRow;
    if (typeof e.query_id !== 'string' || e.query_id === '') {
      throw emInputError(`estimate row ${i}: query_id must be a non-empty string`);
    }
    if (!METHODS.includes(e.decision)) {
      throw emInputError(`estimate for query ${JSON.stringify(e.query_id)}: decision must be cot|code`);
    }
    if (out.has(e.query_id))
      throw emInputError(`estimate for query ${JSON.stringify(e.query_id)} appears twice`);
    out.set(e.query_id, e.decision);
  }
  return out;
}

/** Tokenizes each distinct text once, at most `concurrency` requests at a time. */
async function tokenizeAll(texts: Iterable<string>, tokenize: Tokenize, concurrency: number) {
  const unique = [...new Set(texts)];
  const out = new Map<string, number[]>();
  let next = 0;
  const worker = async () => {
    while (next < unique.length) {
      const text = unique[next++] as string;
      const ids = text === '' ? [] : await tokenize(text);
      if (!Array.isArray(ids) || !ids.every((t) => Number.isInteger(t) && t >= 0)) {
        throw new Error(
          `tokenize returned something other than token ids for ${JSON.stringify(text.slice(0, 80))}`,
        );
      }
      out.set(text, ids);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, unique.length)) }, worker));
  return out;
}

interface Prefix {
  cut: string;
  prefix: string;
  ids?: number[];
  loss_mask?: number[];
  behavior_logprobs?: number[];
}

/** The reflective prefix of one failed rollout; built once however many pairs use it. */
function prefixOf(failed: RolloutForEm, params: SynthesizeParams, cache: Map<RolloutForEm, Prefix>): Prefix {
  let p = cache.get(failed);
  if (!p) {
    const cut = failedAttemptText(failed.response_text, failed.method, params);
    p = { cut, prefix: reflectivePrefix(cut, hintFor(failed.method, params)) };
    cache.set(failed, p);
  }
  return p;
}

function checkLengths(row: TrainRow): TrainRow {
  const n = row.response_token_ids.length;
  if (row.loss_mask.length !== n || row.behavior_logprobs.length !== n) {
    throw new Error(`train row ${row.sample_id} (query ${row.query_id}): token columns differ in length`);
  }
  return row;
}

function assemble(
  plan: QueryPlan,
  params: SynthesizeParams,
  prefixes: Map<RolloutForEm, Prefix>,
  stats: SynthesizeStats,
): TrainRow[] {
  const rows: TrainRow[] = [];
  const base = { query_id: plan.query_id, decision: plan.decision };
  plan.selected.forEach((s, i) => {
    const advantage = plan.advantages[i] as number;
    if (s.kind === 'reflective') {
      const { failed, correct } = s;
      const p = prefixes.get(failed) as Required<Prefix>;
      rows.push(
        checkLengths({
          sample_id: stableId([
            plan.query_id,
            'reflective',
            failed.mode,
            failed.sample,
            correct.mode,
            correct.sample,
            false,
          ]),
          ...base,
          kind: 'reflective',
          replay: false,
          // The correct solution was sampled without the failed attempt and hint before it.
          rescore: true,
          prompt_token_ids: plan.native_prompt,
          response_token_ids: p.ids.concat(correct.response_token_ids),
          loss_mask: p.loss_mask.concat(correct.loss_mask),
          behavior_logprobs: p.behavior_logprobs.concat(correct.behavior_logprobs),
          reward: 1,
          advantage,
          weight: params.reflective_weight,
        }),
      );
      stats.reflective++;
      return;
    }
    const src = s.source;
    const explore = (replay: boolean): TrainRow =>
      checkLengths({
        sample_id: stableId([plan.query_id, 'exploratory', src.mode, src.sample, replay]),
        ...base,
        kind: 'exploratory',
        replay,
        // A dictated rollout trained on the no-hint prompt: its log-probs were for another prompt.
        rescore: !replay && src.mode !== 'native',
        prompt_token_ids: replay ? src.prompt_token_ids : plan.native_prompt,
        response_token_ids: src.response_token_ids,
        loss_mask: src.loss_mask,
        behavior_logprobs: src.behavior_logprobs,
        reward: src.reward,
        advantage,
        weight: 1,
      });
    rows.push(explore(false));
    stats.exploratory++;
    if (params.replay_dictated && src.mode !== 'native') {
      rows.push(explore(true));
      stats.replay++;
    }
  });
  return rows;
}

/** Training rows and counts of what was kept and dropped. Output arrays may alias input arrays. */
export async function synthesizeWithStats(
  rollouts: readonly RolloutForEm[],
  estimates: readonly EstimateRow[],
  paramsInput: SynthesizeParamsInput,
  tokenize: Tokenize,
  options: SynthesizeOptions = {},
): Promise<{ rows: TrainRow[]; stats: SynthesizeStats }> {
  const params = resolveSynthesizeParams(paramsInput);
  const byQuery = groupByQuery(rollouts, true);
  const decided = decisions(estimates);
  for (const q of decided.keys()) {
    if (!byQuery.has(q)) throw emInputError(`estimate for query ${JSON.stringify(q)} has no rollouts`);
  }
  const stats: SynthesizeStats = {
    queries: byQuery.size,
    queries_kept: 0,
    dropped_all_wrong: 0,
    dropped_all_correct: 0,
    dropped_no_candidates: 0,
    exploratory: 0,
    reflective: 0,
    replay: 0,
  };
  const plans: QueryPlan[] = [];
  const prefixes = new Map<RolloutForEm, Prefix>();
  for (const [query_id, group] of byQuery) {
    const decision = decided.get(query_id);
    if (decision === undefined)
      throw emInputError(`query ${JSON.stringify(query_id)} has rollouts but no estimate`);
    const plan = planQuery(query_id, group, decision, params);
    if (plan.dropped) {
      stats[`dropped_${plan.dropped}`]++;
      continue;
    }
    stats.queries_kept++;
    plans.push(plan);
    for (const s of plan.selected) if (s.kind === 'reflective') prefixOf(s.failed, params, prefixes);
  }
  const texts = [...prefixes.values()].flatMap((p) => [p.cut, p.prefix]);
  const tokens = await tokenizeAll(texts, tokenize, options.concurrency ?? 8);
  for (const p of prefixes.values()) {
    p.ids = tokens.get(p.prefix) as number[];
    Object.assign(p, prefixColumns(p.ids, tokens.get(p.cut) as number[]));
  }
  const rows: TrainRow[] = [];
  for (const plan of plans) for (const row of assemble(plan, params, prefixes, stats)) rows.push(row);
  return { rows, stats };
}

/** The `train` rows for the given rollouts and their estimates. */
export async function synthesize(
  rollouts: readonly RolloutForEm[],
  estimates: readonly EstimateRow[],
  params: SynthesizeParamsInput,
  tokenize: Tokenize,
  options: SynthesizeOptions = {},
): Promise<TrainRow[]> {
  return (await synthesizeWithStats(rollouts, estimates, params, tokenize, options)).rows;
}
