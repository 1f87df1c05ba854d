// The `evaluate` node: greedy Pass@1 of the serving policy on every eval set in cot, code and auto
// modes (auto = no method hint: the model chooses), code rate, gain of auto over the best dictated
// mode, per-family figures for query sets whose source names a family (tiny_world/<family>), and with
// `selection_labels` k the selection metrics. The work is activities/eval/'s, shared with `evalRun`.

import {
  type EvaluatedSet,
  evaluateSet,
  metricsOf,
  readEvalQueries,
  writeSummary,
} from '../engines/eval/core';
import { InferenceClient } from '../engines/rollouts/client';
import { toActivityFailure } from '../engines/rollouts/failure';
import { rolloutTools } from '../engines/rollouts/sandbox-tools';
import { EvaluateParams } from '../pipelines/node-kinds';
import { nodeResult } from '../schemas/node-result';
import type { NodeRequest, NodeResult } from '../schemas/run';
import type { DatasetRef } from '../schemas/store';
import { activitySignal } from './context';
import { nodeInputError } from './errors';

export { EVALUATE_PRODUCER } from '../engines/eval/core';

export async function evaluate(req: NodeRequest): Promise<NodeResult> {
  const parsed = EvaluateParams.safeParse(req.params);
  if (!parsed.success) throw nodeInputError(`${req.node_id}: ${parsed.error.message}`);
  const params = parsed.data;
  if (req.eval.length === 0)
    throw nodeInputError(`${req.node_id}: the spec lists no eval queries (queries.eval)`);
  const client = new InferenceClient(req.inference);
  const extra: Record<string, DatasetRef> = {};
  const sets: EvaluatedSet[] = [];
  let cachedSets = 0;
  try {
    const tools = await rolloutTools({ timeoutMs: 5000, outputMaxChars: 1024 });
    for (const set of req.eval) {
      const out = await evaluateSet({
        set,
        queries: await readEvalQueries(set, params.limit),
        policy: req.policy,
        iteration: req.iteration,
        params,
        deps: { generator: client, ...tools, signal: activitySignal() },
      });
      if (out.results.cached && (out.labels?.cached ?? true)) cachedSets++;
      extra[set.name] = out.results.ref;
      if (out.labels) extra[`${set.name}.selection`] = out.labels.ref;
      sets.push({
        name: set.name,
        queries: set.queries,
        results: out.results.ref,
        labels: out.labels?.ref ?? null,
      });
    }
    const { summary, metrics } = await metricsOf(sets, req.policy.key);
    const ref = await writeSummary(sets, summary);
    return nodeResult(req, 'eval', {
      dataset: ref,
      extra,
      metrics,
      cached: cachedSets === req.eval.length,
    });
  } catch (err) {
    throw toActivityFailure(err);
  } finally {
    client.close();
  }
}
