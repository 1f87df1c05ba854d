// The `evaluate` node: greedy Pass@1 of the serving policy on every eval set in cot, code and auto
// modes (auto = no method hint: the model chooses), code rate, gain of auto over the best dictated
// mode, per-family figures for query sets whose source names a family (tiny_world/<family>), and with
// `selection_labels` k the selection metrics. The work is engines/eval/'s, shared with `evalRun`; each
// set's results are content-addressed there, and the node's output is the summary over them.
import {
  EVAL_TOOL_LIMITS,
  type EvaluatedSet,
  evaluateQuerySet,
  labelsInput,
  metricsOf,
  summaryInputs,
} from '../engines/eval/core';
import { InferenceClient } from '../engines/rollouts/client';
import { rolloutTools } from '../engines/rollouts/sandbox-tools';
import { lookup, openEntry } from '../engines/store/catalog';
import type { Row } from '../schemas/datasets';
import { EvaluateParams } from '../schemas/nodes';
import { resolvePrompt } from '../schemas/prompt';
import { defineNode } from './define';
import { nodeInputError } from './errors';
import { policyInput } from './inputs';

// The summary's manifest names each set's results under the set's name: its queries go by another.
const queriesInput = (set: string) => `queries.${set}`;

export const evaluate = defineNode({
  uses: 'evaluate',
  queue: 'cpu',
  output: 'eval',
  dataset: 'eval_summary',
  inputs: { checkpoint: [0, 1] },
  params: EvaluateParams,
  prompted: true,
  producer: { activity: 'evaluate', version: '2' },
  description: 'greedy Pass@1 in cot, code and auto modes on the eval queries',
  identity(req) {
    if (req.eval.length === 0)
      throw nodeInputError(`${req.node_id}: the spec lists no eval queries (queries.eval)`);
    const { prompt, ...rest } = req.params;
    return {
      params: { ...rest, ...(prompt ? { prompt: resolvePrompt(prompt) } : {}) },
      inputs: {
        policy: policyInput(req),
        ...Object.fromEntries(req.eval.map((s) => [queriesInput(s.name), s.queries])),
      },
    };
  },
  async produce({ req, heartbeat, signal }) {
    const client = new InferenceClient(req.inference);
    try {
      const tools = await rolloutTools({ ...EVAL_TOOL_LIMITS, extraction: req.params.extraction });
      const sets: EvaluatedSet[] = [];
      for (const set of req.eval) {
        const { evaluated } = await evaluateQuerySet({
          set,
          policy: req.policy,
          iteration: req.iteration,
          params: req.params,
          deps: { generator: client, ...tools, signal },
          onProgress: (p) => heartbeat({ set: set.name, ...p }),
        });
        sets.push(evaluated);
      }
      const { summary, metrics } = await metricsOf(sets, req.policy.key);
      return { rows: summary as unknown as Row[], stats: metrics, provenance: summaryInputs(sets) };
    } finally {
      client.close();
    }
  },
  async describe(ref, req, produced) {
    if (produced && 'rows' in produced)
      return { metrics: produced.stats ?? {}, extra: produced.provenance ?? {} };
    // Found cached: the metrics again from the per-set datasets the summary's manifest names.
    const { manifest } = await openEntry(ref);
    const find = async (name: string) => {
      const input = manifest.inputs[name];
      return input ? lookup(input.kind, input.key) : null;
    };
    const sets: EvaluatedSet[] = [];
    for (const set of req.eval) {
      const results = await find(set.name);
      if (!results)
        throw nodeInputError(`${req.node_id}: summary ${ref.key} names no results for ${set.name}`);
      sets.push({ name: set.name, queries: set.queries, results, labels: await find(labelsInput(set.name)) });
    }
    const { metrics } = await metricsOf(sets, req.policy.key);
    return { metrics, extra: summaryInputs(sets) };
  },
});
