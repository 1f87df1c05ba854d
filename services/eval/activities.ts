// The activities of `evalRun`: resolve what to evaluate (fails fast, writes nothing, on a bad name),
// evaluate one benchmark (greedy results and selection samples, sharded and resumable), and finish
// (metrics from the store, the summary dataset, var/evals/<id>/result.json and report.md).

import {
  EVAL_TOOL_LIMITS,
  type EvaluatedSet,
  evaluateQuerySet,
  metricsOf,
  writeSummary,
} from '../../engines/eval/core';
import { writeEvalReport } from '../../engines/eval/report';
import { InferenceClient } from '../../engines/rollouts/client';
import { rolloutTools } from '../../engines/rollouts/sandbox-tools';
import { activitySignal, heartbeat } from '../../nodes/context';
import type { EvalRunInput } from '../../schemas/eval';
import { EvaluateParams } from '../../schemas/nodes';
import type { InferenceEndpoints } from '../../schemas/rollout';
import type { Metrics, PolicyRef, QuerySet } from '../../schemas/run';
import type { DatasetRef } from '../../schemas/store';
import { queriesDataset } from '../run/prepare';
import { benchmarkSources, invalidEvalInput, TINY_WORLD, TINY_WORLD_BUDGET } from './benchmarks';
import { resolveCheckpoint } from './checkpoint';

/** evalRun's input less where the policy is served: what preparing the evaluation needs. */
export type EvalPrepareInput = Omit<EvalRunInput, 'inference' | 'eval_id'> & { eval_id: string };

export interface EvalSetPlan {
  set: QuerySet;
  /** Resolved (the tiny world keeps its own token budget unless one is given). */
  params: EvaluateParams;
}

export interface EvalPlan {
  eval_id: string;
  checkpoint: PolicyRef;
  sets: EvalSetPlan[];
}

function evalParams(input: EvalPrepareInput, name: string): EvaluateParams {
  const tiny: Partial<typeof TINY_WORLD_BUDGET> = name === TINY_WORLD ? TINY_WORLD_BUDGET : {};
  const raw = Object.fromEntries(
    Object.entries({
      modes: input.modes,
      limit: input.limit,
      selection_labels: input.selection_labels,
      max_tokens: input.max_tokens ?? tiny.max_tokens,
      max_rounds: input.max_rounds ?? tiny.max_rounds,
      prompt: input.prompt,
      extraction: input.extraction,
    }).filter(([, v]) => v !== undefined && v !== null),
  );
  const parsed = EvaluateParams.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
    throw invalidEvalInput(`eval ${input.eval_id}: ${why}`);
  }
  return parsed.data;
}

/** Checks every input before anything is written; then materialises the benchmarks' query sets. */
export async function evalPrepare(input: EvalPrepareInput): Promise<EvalPlan> {
  if (!input.eval_id) throw invalidEvalInput('eval_id: empty');
  if (typeof input.checkpoint !== 'string')
    throw invalidEvalInput('checkpoint: give a checkpoint directory or latest:<runId>');
  if (!Array.isArray(input.benchmarks) || input.benchmarks.some((b) => typeof b !== 'string'))
    throw invalidEvalInput('benchmarks: a list of benchmark names');
  const checkpoint = resolveCheckpoint(input.checkpoint);
  const sources = benchmarkSources(input.benchmarks, input.tiny_world);
  const params = input.benchmarks.map((name) => evalParams(input, name));
  const sets: EvalSetPlan[] = [];
  for (const [i, name] of input.benchmarks.entries()) {
    const queries = await queriesDataset([sources[i] as (typeof sources)[number]]);
    sets.push({ set: { name, queries }, params: params[i] as EvaluateParams });
  }
  return { eval_id: input.eval_id, checkpoint, sets };
}

export interface EvalBenchmarkInput {
  eval_id: string;
  plan: EvalSetPlan;
  policy: PolicyRef;
  inference: InferenceEndpoints;
}

export interface EvalBenchmarkOutput extends EvaluatedSet {
  cached: boolean;
  rows: number;
}

/** Greedy results (and selection samples) of one benchmark. */
export async function evalBenchmark(input: EvalBenchmarkInput): Promise<EvalBenchmarkOutput> {
  const { set, params } = input.plan;
  const client = new InferenceClient(input.inference);
  try {
    const { evaluated, cached } = await evaluateQuerySet({
      set,
      policy: input.policy,
      iteration: 0,
      params,
      deps: {
        generator: client,
        ...(await rolloutTools({ ...EVAL_TOOL_LIMITS, extraction: params.extraction })),
        signal: activitySignal(),
      },
      onProgress: heartbeat,
    });
    return { ...evaluated, cached, rows: evaluated.results.rows };
  } finally {
    client.close();
  }
}

export interface EvalFinishInput {
  eval_id: string;
  /** As the user gave it (a path or latest:<run>). */
  checkpoint_spec: string;
  checkpoint: PolicyRef;
  sets: EvaluatedSet[];
}

export interface EvalFinishOutput {
  metrics: Metrics;
  summary: DatasetRef;
  results: Record<string, DatasetRef>;
  report: string;
}

/** Metrics over every benchmark, the summary dataset, and the result files under var/evals/<id>/. */
export async function evalFinish(input: EvalFinishInput): Promise<EvalFinishOutput> {
  const { summary, metrics } = await metricsOf(input.sets, input.checkpoint.key);
  const summaryRef = await writeSummary(input.sets, summary);
  const results = Object.fromEntries(input.sets.map((s) => [s.name, s.results]));
  const report = await writeEvalReport({
    eval_id: input.eval_id,
    checkpoint_spec: input.checkpoint_spec,
    checkpoint: input.checkpoint,
    metrics,
    summary: summaryRef,
    results,
    selection: Object.fromEntries(
      input.sets.filter((s) => s.labels).map((s) => [s.name, s.labels as DatasetRef]),
    ),
  });
  return { metrics, summary: summaryRef, results, report };
}
