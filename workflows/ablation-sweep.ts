// The paper's ablation table on one command: for each method (AutoCode, no self-reflective, plain RL)
// and seed, one child `emRun` from the same bootstrapped checkpoint, one after another (the embedded
// server serves one policy per worker), then the table. Startable from the Web UI with one JSON
// object. Resumable: a re-run with the same id skips the runs that finished with the same input
// (ablationPlan reads var/runs/), and a failed run's finished nodes are cache hits when it restarts.
import {
  ApplicationFailure,
  defineQuery,
  executeChild,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AblationProgress, AblationResult, AblationSweepInput } from '../schemas/ablation';
import { TASK_QUEUES } from '../schemas/queues';
import type * as services from '../services/index';
import { activityOptions, ITERATION, RUN_ID, STAGE } from './common';
import { emRun } from './em-run';

export const ablationProgress = defineQuery<AblationProgress>('progress');

/** The innermost failure's message (the activity's own words rather than Temporal's wrappers). */
function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

export async function ablationSweep(input: AblationSweepInput = {}): Promise<AblationResult> {
  const id = input.id ?? workflowInfo().workflowId;
  const progress: AblationProgress = { id, stage: 'plan', runs: [] };
  setHandler(ablationProgress, () => progress);
  const stage = (s: string) => {
    progress.stage = s;
    upsertSearchAttributes([
      { key: RUN_ID, value: id },
      { key: STAGE, value: s },
    ]);
  };
  const cpu = proxyActivities<typeof services>(activityOptions(TASK_QUEUES.cpu, '10 minutes'));

  stage('plan');
  const plan = await cpu.ablationPlan({ ...input, id });
  progress.runs = plan.runs.map((r) => ({
    run_id: r.run_id,
    method: r.method,
    seed: r.seed,
    state: r.finished ? 'skipped' : 'pending',
  }));

  const failed: string[] = [];
  for (const [i, run] of plan.runs.entries()) {
    const state = progress.runs[i] as AblationProgress['runs'][number];
    if (run.finished) continue;
    state.state = 'running';
    stage(`run ${run.run_id}`);
    try {
      await executeChild(emRun, {
        workflowId: run.run_id,
        args: [{ spec: run.spec, overrides: run.overrides, run_id: run.run_id }],
        typedSearchAttributes: [
          { key: RUN_ID, value: run.run_id },
          { key: ITERATION, value: 0 },
          { key: STAGE, value: 'start' },
        ],
      });
      state.state = 'done';
    } catch (err) {
      // Go on with the other runs; the sweep fails at the end, and a re-run resumes this one.
      state.state = 'failed';
      state.error = rootMessage(err);
      failed.push(run.run_id);
    }
  }

  stage('table');
  const written = await cpu.writeAblationTable(plan);
  stage(failed.length ? 'failed' : 'done');
  if (failed.length)
    throw ApplicationFailure.nonRetryable(
      `${failed.length} run(s) failed: ${failed.join(', ')}; the table so far is ${written.table_md}; ` +
        `re-run the sweep with the same id to resume them`,
    );
  return {
    id,
    table_md: written.table_md,
    table_json: written.table_json,
    markdown: written.markdown,
    failed,
  };
}
