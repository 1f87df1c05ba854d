// Evaluates one checkpoint (a directory, or the last policy of an EM run) on benchmarks of the registry
// and the tiny world: greedy Pass@1 in cot, code and auto modes, code rate, auto's gain, and with
// `selection_labels` k the selection metrics. One JSON object in (startable from the Web UI); every
// benchmark's work is content-addressed in the store, so running it again reuses what finished.
import {
  defineQuery,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { EvalRunInput } from '../schemas/eval';
import type { EvalProgress } from '../schemas/progress';
import { TASK_QUEUES } from '../schemas/queues';
import type { Metrics, PolicyRef } from '../schemas/run';
import type { DatasetRef } from '../schemas/store';
import type { EvalBenchmarkOutput } from '../services/eval/activities';
import type * as services from '../services/index';
import { activityOptions, RUN_ID, STAGE } from './common';
import { type ServeTarget, servePolicy } from './serve';

export type { EvalRunInput };

export interface EvalRunResult {
  eval_id: string;
  checkpoint: PolicyRef;
  metrics: Metrics;
  /** The eval_summary dataset. */
  summary: DatasetRef;
  /** Per benchmark: its eval_results dataset. */
  results: Record<string, DatasetRef>;
  /** var/evals/<eval_id>/result.json; report.md beside it. */
  report: string;
}

export const evalProgress = defineQuery<EvalProgress>('progress');

export async function evalRun(input: EvalRunInput): Promise<EvalRunResult> {
  const evalId = input.eval_id ?? workflowInfo().workflowId;
  const progress: EvalProgress = {
    eval_id: evalId,
    stage: 'resolve',
    checkpoint: null,
    benchmarks: Object.fromEntries((input.benchmarks ?? []).map((b) => [b, 'pending' as const])),
    metrics: null,
  };
  setHandler(evalProgress, () => progress);
  const stage = (s: string) => {
    progress.stage = s;
    upsertSearchAttributes([
      { key: RUN_ID, value: evalId },
      { key: STAGE, value: s },
    ]);
  };
  // Bad input (unknown benchmark, missing checkpoint) is a non-retryable failure: one attempt.
  const quick = proxyActivities<typeof services>(activityOptions(TASK_QUEUES.cpu, '10 minutes'));
  const long = proxyActivities<typeof services>(activityOptions(TASK_QUEUES.cpu, '12 hours'));

  stage('resolve');
  const plan = await quick.evalPrepare({
    eval_id: evalId,
    checkpoint: input.checkpoint,
    benchmarks: input.benchmarks,
    modes: input.modes,
    limit: input.limit,
    selection_labels: input.selection_labels,
    max_tokens: input.max_tokens,
    max_rounds: input.max_rounds,
    prompt: input.prompt,
    tiny_world: input.tiny_world,
  });
  progress.checkpoint = plan.checkpoint;

  stage('serve');
  const target = input.inference ?? { embedded: { port: 0 } };
  const { serve, reload } = serveTarget(target);
  const inference = await servePolicy(serve, plan.checkpoint, { reload });

  stage('evaluate');
  const sets = await Promise.all(
    plan.sets.map(async (p): Promise<EvalBenchmarkOutput> => {
      progress.benchmarks[p.set.name] = 'running';
      try {
        const out = await long.evalBenchmark({
          eval_id: evalId,
          plan: p,
          policy: plan.checkpoint,
          inference,
        });
        progress.benchmarks[p.set.name] = out.cached ? 'cached' : 'done';
        return out;
      } catch (err) {
        progress.benchmarks[p.set.name] = 'failed';
        throw err;
      }
    }),
  );

  stage('report');
  const done = await quick.evalFinish({
    eval_id: evalId,
    checkpoint_spec: input.checkpoint,
    checkpoint: plan.checkpoint,
    sets: sets.map(({ name, queries, results, labels }) => ({ name, queries, results, labels })),
  });
  progress.metrics = done.metrics;
  stage('done');
  return {
    eval_id: evalId,
    checkpoint: plan.checkpoint,
    metrics: done.metrics,
    summary: done.summary,
    results: done.results,
    report: done.report,
  };
}

/** External servers load the checkpoint unless told they already serve it (`reload: false`). */
function serveTarget(target: NonNullable<EvalRunInput['inference']>): {
  serve: ServeTarget;
  reload: boolean;
} {
  if (!('endpoints' in target)) return { serve: target, reload: false };
  const { reload, ...e } = target.endpoints;
  return { serve: { endpoints: e }, reload: reload ?? true };
}
