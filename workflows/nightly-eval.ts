// A nightly evaluation, what a schedule starts: evaluate the checkpoint (evalRun as a child), compare
// with the schedule's previous night, mark regressions in the result, a search attribute and the
// report. One JSON object in, so a schedule (or the Web UI) can start it.
import { executeChild, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { DEFAULT_REGRESSION_THRESHOLD, type Regression } from '../schemas/nightly';
import { TASK_QUEUES } from '../schemas/queues';
import type { Metrics, PolicyRef } from '../schemas/run';
import type * as services from '../services/index';
import { activityOptions, REGRESSION, RUN_ID, SCHEDULE, STAGE } from './common';
import { type EvalRunInput, evalRun } from './eval-run';

export interface NightlyEvalInput {
  /** The schedule's name (autocode schedule create <name>). */
  schedule: string;
  /** What to evaluate each night; eval_id is set per night. */
  eval: Omit<EvalRunInput, 'eval_id'>;
  /** Absolute drop (0.02 = 2 points) of an accuracy or selection mAcc that marks a regression. */
  regression_threshold?: number;
}

export interface NightlyEvalResult {
  schedule: string;
  eval_id: string;
  checkpoint: PolicyRef;
  metrics: Metrics;
  previous_eval_id: string | null;
  regression: boolean;
  regressions: Regression[];
  report: string;
}

export async function nightlyEval(input: NightlyEvalInput): Promise<NightlyEvalResult> {
  const evalId = workflowInfo().workflowId;
  const stage = (s: string) =>
    upsertSearchAttributes([
      { key: RUN_ID, value: evalId },
      { key: SCHEDULE, value: input.schedule },
      { key: STAGE, value: s },
    ]);
  stage('evaluate');
  const result = await executeChild(evalRun, {
    workflowId: `${evalId}/eval`,
    taskQueue: TASK_QUEUES.cpu,
    args: [{ ...input.eval, eval_id: evalId }],
  });
  stage('compare');
  const cpu = proxyActivities<typeof services>(activityOptions(TASK_QUEUES.cpu, '10 minutes'));
  const record = await cpu.recordNightly({
    schedule: input.schedule,
    eval_id: evalId,
    checkpoint: result.checkpoint,
    metrics: result.metrics,
    threshold: input.regression_threshold ?? DEFAULT_REGRESSION_THRESHOLD,
  });
  const regression = record.regressions.length > 0;
  upsertSearchAttributes([{ key: REGRESSION, value: regression }]);
  const report = await cpu.writeNightlyReport({ schedule: input.schedule, record });
  stage('done');
  return {
    schedule: input.schedule,
    eval_id: evalId,
    checkpoint: result.checkpoint,
    metrics: result.metrics,
    previous_eval_id: record.previous_eval_id,
    regression,
    regressions: record.regressions,
    report,
  };
}
