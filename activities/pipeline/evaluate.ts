// The `evaluate` node: greedy Pass@1 of the serving policy on every eval set in cot, code and auto
// modes (auto = no method hint: the model chooses), code rate, and per-family figures for query sets
// that carry a family in their source (tiny_world/<family>). Sharded and resumable like rollouts.
import { EvaluateParams } from '../../pipelines/node-kinds';
import type { Row } from '../../schemas/datasets';
import { nodeResult } from '../../schemas/node-result';
import type { Mode, RolloutRow } from '../../schemas/rollout';
import type { Metrics, NodeRequest, NodeResult } from '../../schemas/run';
import type { DatasetRef } from '../../schemas/store';
import { InferenceClient } from '../rollouts/client';
import { toActivityFailure } from '../rollouts/failure';
import { runRolloutShard } from '../rollouts/shard';
import { contentKey } from '../store/canonical';
import { readRows } from '../store/reader';
import { writeDataset } from '../store/writer';
import { nodeInputError } from './errors';
import { policyInput } from './inputs';
import { runSharded } from './sharded';
import { rolloutTools } from './tools';

export const EVALUATE_PRODUCER = { activity: 'evaluate', version: '1' };
export type EvalMode = 'cot' | 'code' | 'auto';
const MODE_OF: Record<EvalMode, Mode> = { cot: 'dictated_cot', code: 'dictated_code', auto: 'native' };
const EVAL_OF: Record<Mode, EvalMode> = { dictated_cot: 'cot', dictated_code: 'code', native: 'auto' };

interface EvalQuery {
  query_id: string;
  question: string;
  answer: string;
  source: string;
}

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

/** Accuracy and code rate per (group, mode); groups are the set and, when present, its families. */
export function summarize(
  rows: readonly EvalResultRow[],
  familyOf: (queryId: string) => string | null,
  policy: string,
): SummaryRow[] {
  const groups = new Map<
    string,
    { benchmark: string; mode: EvalMode; n: number; correct: number; code: number }
  >();
  const add = (benchmark: string, r: EvalResultRow) => {
    const k = `${benchmark}\u0000${r.mode}`;
    const g = groups.get(k) ?? { benchmark, mode: r.mode, n: 0, correct: 0, code: 0 };
    g.n++;
    if (r.correct) g.correct++;
    if (r.method === 'code') g.code++;
    groups.set(k, g);
  };
  for (const r of rows) {
    add(r.benchmark, r);
    const family = familyOf(r.query_id);
    if (family) add(`${r.benchmark}/${family}`, r);
  }
  return [...groups.values()].map((g) => ({
    benchmark: g.benchmark,
    mode: g.mode,
    n: g.n,
    correct: g.correct,
    accuracy: g.n ? g.correct / g.n : 0,
    code_rate: g.n ? g.code / g.n : 0,
    policy,
    metrics: null,
  }));
}

export async function evaluate(req: NodeRequest): Promise<NodeResult> {
  const parsed = EvaluateParams.safeParse(req.params);
  if (!parsed.success) throw nodeInputError(`${req.node_id}: ${parsed.error.message}`);
  const params = parsed.data;
  if (req.eval.length === 0)
    throw nodeInputError(`${req.node_id}: the spec lists no eval queries (queries.eval)`);
  const client = new InferenceClient(req.inference);
  const extra: Record<string, DatasetRef> = {};
  const all: EvalResultRow[] = [];
  const families = new Map<string, string>();
  let cachedSets = 0;
  try {
    const tools = await rolloutTools({ timeoutMs: 5000, outputMaxChars: 1024 });
    for (const set of req.eval) {
      let queries = (await readRows(set.queries, {
        columns: ['query_id', 'question', 'answer', 'source'],
      })) as unknown as EvalQuery[];
      if (params.limit) queries = queries.slice(0, params.limit);
      for (const q of queries) {
        const family = /^[^/]+\/(.+)$/.exec(q.source)?.[1];
        if (family) families.set(q.query_id, family);
      }
      const gold = new Map(queries.map((q) => [q.query_id, q.answer]));
      const rolloutParams = {
        modes: params.modes.map((m) => MODE_OF[m]),
        samples: 1,
        temperature: 0,
        top_p: 1,
        seed: 0,
        max_tokens: params.max_tokens,
        max_rounds: params.max_rounds,
        templates: params.templates,
      };
      const keyParams = { ...rolloutParams, limit: params.limit ?? null, benchmark: set.name };
      const inputs = { queries: set.queries, policy: policyInput(req) };
      const key = contentKey({ producer: EVALUATE_PRODUCER, params: keyParams, inputs });
      const result = await runSharded({
        kind: 'eval_results',
        key,
        producer: EVALUATE_PRODUCER,
        params: keyParams,
        inputs,
        items: queries,
        shardSize: 64,
        runShard: async (items, _i, onQueryDone) => {
          const rows = await runRolloutShard(
            items,
            rolloutParams,
            { iteration: req.iteration, policy: req.policy.key },
            { generator: client, ...tools },
            onQueryDone,
          );
          return rows.map((r) => toEvalRow(r, set.name, gold.get(r.query_id) ?? '')) as unknown as Row[];
        },
      });
      if (result.cached) cachedSets++;
      extra[set.name] = result.ref;
      all.push(...((await readRows(result.ref)) as unknown as EvalResultRow[]));
    }
    const summary = summarize(all, (id) => families.get(id) ?? null, req.policy.key);
    const summaryKey = contentKey({
      producer: EVALUATE_PRODUCER,
      params: { summary: true },
      inputs: Object.fromEntries(Object.entries(extra)),
    });
    const ref = await writeDataset(
      {
        kind: 'eval_summary',
        key: summaryKey,
        producer: EVALUATE_PRODUCER,
        params: { summary: true },
        inputs: extra,
      },
      summary as unknown as Row[],
    );
    return nodeResult(req, 'eval', {
      dataset: ref,
      extra,
      metrics: summaryMetrics(summary),
      cached: cachedSets === req.eval.length,
    });
  } catch (err) {
    throw toActivityFailure(err);
  } finally {
    client.close();
  }
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

/** Flat metrics for the workflow and the report: `<set>.<mode>.accuracy`, `<set>.<mode>.code_rate`. */
export function summaryMetrics(summary: readonly SummaryRow[]): Metrics {
  const m: Metrics = {};
  for (const s of summary) {
    m[`${s.benchmark}.${s.mode}.accuracy`] = Number(s.accuracy.toFixed(4));
    m[`${s.benchmark}.${s.mode}.code_rate`] = Number(s.code_rate.toFixed(4));
  }
  return m;
}
