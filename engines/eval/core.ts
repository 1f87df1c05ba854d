// The evaluation core that the iteration's `evaluate` node and the `evalRun` workflow share: greedy
// responses per set and mode, Monte-Carlo selection samples, metrics from what is in the store, and the
// summary dataset. Everything is content-addressed and written shard by shard (resumable).
import type { Row } from '../../schemas/datasets';
import type { EvaluateParams } from '../../schemas/nodes';
import { resolvePrompt } from '../../schemas/prompt';
import type { Mode, RolloutRow } from '../../schemas/rollout';
import type { PolicyRef, QuerySet } from '../../schemas/run';
import type { DatasetRef } from '../../schemas/store';
import { type RolloutDeps, runRolloutShard } from '../rollouts/shard';
import { contentKey } from '../store/canonical';
import { readRows } from '../store/reader';
import { runSharded, type ShardedResult, type ShardedSpec, type ShardProgress } from '../store/sharded';
import { writeDataset } from '../store/writer';
import { type EvalMetrics, evalMetrics } from './metrics';
import {
  EVAL_OF,
  type EvalQuery,
  type EvalResultRow,
  familyOfSource,
  MODE_OF,
  type SelectionSample,
} from './types';

export const EVALUATE_PRODUCER = { activity: 'evaluate', version: '1' };
export const SELECTION_PRODUCER = { activity: 'evaluate.selection', version: '1' };

/** The policy as a manifest input of the entries it produced or judged. */
function policyInput(policy: PolicyRef): { kind: string; key: string; sha256: string } {
  return { kind: 'checkpoints', key: policy.key, sha256: policy.key };
}

async function readEvalQueries(set: QuerySet, limit?: number): Promise<EvalQuery[]> {
  const rows = (await readRows(set.queries, {
    columns: ['query_id', 'question', 'answer', 'source'],
  })) as unknown as EvalQuery[];
  return limit ? rows.slice(0, limit) : rows;
}

export interface EvalSetJob {
  set: QuerySet;
  queries: readonly EvalQuery[];
  policy: PolicyRef;
  /** Recorded in selection rollout rows (the run's iteration; 0 outside a run). */
  iteration: number;
  params: EvaluateParams;
  /** Its reward grades under `params.extraction` (rolloutTools), the policy the results are keyed by. */
  deps: RolloutDeps;
  /** Shard progress of the set's work (the calling activity heartbeats it). */
  onProgress?(progress: ShardProgress): void;
}

export interface EvalSetOutput {
  /** `eval_results`: one greedy response per query and mode. */
  results: ShardedResult;
  /** `rollouts`: k samples per query in dictated_cot and dictated_code, or null without selection labels. */
  labels: ShardedResult | null;
}

/** Greedy results and, with `selection_labels` k > 0, the selection samples of one set. */
async function evaluateSet(job: EvalSetJob): Promise<EvalSetOutput> {
  const [results, labels] = await Promise.all([
    greedy(job),
    job.params.selection_labels > 0 ? selectionSamples(job) : Promise.resolve(null),
  ]);
  return { results, labels };
}

interface Sampling {
  modes: Mode[];
  samples: number;
  temperature: number;
  top_p: number;
}

/** One set's rollouts at `sampling` under the evaluation's budget, sharded and content-addressed. */
function sampledSet(
  job: EvalSetJob,
  sampling: Sampling,
  out: Pick<ShardedSpec<unknown>, 'kind' | 'producer' | 'shardSize' | 'tokensOf'> & {
    toRows: (rows: RolloutRow[]) => Row[];
  },
): Promise<ShardedResult> {
  const { params, set } = job;
  const rolloutParams = {
    ...sampling,
    seed: 0,
    max_tokens: params.max_tokens,
    max_rounds: params.max_rounds,
    templates: params.templates,
    // Resolved (preset expanded), so the content key names the exact format, system and stops.
    ...(params.prompt ? { prompt: resolvePrompt(params.prompt) } : {}),
  };
  // The grades are part of the results: another extraction policy is another dataset.
  const keyParams = {
    ...rolloutParams,
    limit: params.limit ?? null,
    benchmark: set.name,
    extraction: params.extraction,
  };
  const inputs = { queries: set.queries, policy: policyInput(job.policy) };
  return runSharded({
    kind: out.kind,
    key: contentKey({ producer: out.producer, params: keyParams, inputs }),
    producer: out.producer,
    params: keyParams,
    inputs,
    items: job.queries,
    shardSize: out.shardSize,
    ...(out.tokensOf ? { tokensOf: out.tokensOf } : {}),
    ...(job.onProgress ? { onProgress: job.onProgress } : {}),
    runShard: async (items, _i, onQueryDone) =>
      out.toRows(
        await runRolloutShard(
          items,
          rolloutParams,
          { iteration: job.iteration, policy: job.policy.key },
          job.deps,
          onQueryDone,
        ),
      ),
  });
}

function greedy(job: EvalSetJob): Promise<ShardedResult> {
  const gold = new Map(job.queries.map((q) => [q.query_id, q.answer]));
  const sampling = { modes: job.params.modes.map((m) => MODE_OF[m]), samples: 1, temperature: 0, top_p: 1 };
  return sampledSet(job, sampling, {
    kind: 'eval_results',
    producer: EVALUATE_PRODUCER,
    shardSize: 64,
    toRows: (rows) =>
      rows.map((r) => toEvalRow(r, job.set.name, gold.get(r.query_id) ?? '')) as unknown as Row[],
  });
}

/** The Monte-Carlo samples behind selection labels: rollouts at the sampling temperature. */
function selectionSamples(job: EvalSetJob): Promise<ShardedResult> {
  const { params } = job;
  const sampling: Sampling = {
    modes: ['dictated_cot', 'dictated_code'],
    samples: params.selection_labels,
    temperature: params.selection_temperature,
    top_p: params.selection_top_p,
  };
  return sampledSet(job, sampling, {
    kind: 'rollouts',
    producer: SELECTION_PRODUCER,
    shardSize: 16,
    tokensOf: (r: Row) => (r.response_token_ids as number[]).length,
    toRows: (rows) => rows as unknown as Row[],
  });
}

function toEvalRow(r: RolloutRow, benchmark: string, answer: string): EvalResultRow {
  return {
    benchmark,
    query_id: r.query_id,
    mode: EVAL_OF[r.mode],
    method: r.method,
    response_text: r.response_text,
    final_answer: r.final_answer,
    answer,
    correct: r.reward === 1,
    code_calls: r.code_calls,
    finish_reason: r.finish_reason,
    policy: r.policy,
    error: r.error,
  };
}

/** What the evaluation's programs may use: 5 s each, 1024 characters of output kept. */
export const EVAL_TOOL_LIMITS = { timeoutMs: 5000, outputMaxChars: 1024 };

/** One query set read and evaluated: what it left in the store, and whether all of it was cached. */
export async function evaluateQuerySet(
  job: Omit<EvalSetJob, 'queries'>,
): Promise<{ evaluated: EvaluatedSet; cached: boolean }> {
  const out = await evaluateSet({ ...job, queries: await readEvalQueries(job.set, job.params.limit) });
  return {
    evaluated: {
      name: job.set.name,
      queries: job.set.queries,
      results: out.results.ref,
      labels: out.labels?.ref ?? null,
    },
    cached: out.results.cached && (out.labels?.cached ?? true),
  };
}

/** What one evaluated set left in the store. */
export interface EvaluatedSet {
  name: string;
  queries: DatasetRef;
  results: DatasetRef;
  labels: DatasetRef | null;
}

/** Metrics and summary rows of evaluated sets, read back from the store. */
export async function metricsOf(sets: readonly EvaluatedSet[], policy: string): Promise<EvalMetrics> {
  const results: EvalResultRow[] = [];
  const samples: SelectionSample[] = [];
  const families = new Map<string, string>();
  for (const s of sets) {
    for (const q of await readRows(s.queries, { columns: ['query_id', 'source'] })) {
      const f = familyOfSource(String(q.source));
      if (f) families.set(`${s.name}\u0000${q.query_id}`, f);
    }
    results.push(...((await readRows(s.results)) as unknown as EvalResultRow[]));
    if (s.labels) {
      for (const r of await readRows(s.labels, { columns: ['query_id', 'mode', 'reward'] }))
        samples.push({ benchmark: s.name, ...(r as Omit<SelectionSample, 'benchmark'>) });
    }
  }
  return evalMetrics({
    results,
    samples: sets.some((s) => s.labels) ? samples : undefined,
    familyOf: (set, id) => families.get(`${set}\u0000${id}`) ?? null,
    policy,
  });
}

/** The name under which a summary's manifest records a set's selection samples. */
export const labelsInput = (set: string) => `${set}.selection`;

/** The datasets a summary is made from, by set: its results (and selection samples). */
export function summaryInputs(sets: readonly EvaluatedSet[]): Record<string, DatasetRef> {
  const inputs: Record<string, DatasetRef> = {};
  for (const s of sets) {
    inputs[s.name] = s.results;
    if (s.labels) inputs[labelsInput(s.name)] = s.labels;
  }
  return inputs;
}

/** The `eval_summary` dataset, keyed by the result (and selection) datasets it summarizes. */
export function writeSummary(
  sets: readonly EvaluatedSet[],
  summary: EvalMetrics['summary'],
): Promise<DatasetRef> {
  const inputs = summaryInputs(sets);
  const params = { summary: true };
  return writeDataset(
    {
      kind: 'eval_summary',
      key: contentKey({ producer: EVALUATE_PRODUCER, params, inputs }),
      producer: EVALUATE_PRODUCER,
      params,
      inputs,
    },
    summary as unknown as Row[],
  );
}
