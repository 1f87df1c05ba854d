// Task queues and search attributes: the one place their names live. Workflow-safe (no Node imports).

/** Task queues of the two worker kinds. Workflows run on the TypeScript worker's queue. */
export const TASK_QUEUES = {
  /** TypeScript worker: workflows, rollouts, sandbox, grading, estimation, synthesis, evaluation, hub I/O. */
  cpu: 'cpu',
  /** Python worker: owns the policy (serving, SFT, off-policy update). */
  gpu: 'gpu',
} as const;

export type TaskQueueName = keyof typeof TASK_QUEUES;

/** Search attributes registered on the dev server so the Web UI can list and filter runs. */
export const SEARCH_ATTRIBUTES = {
  runId: { name: 'AutocodeRunId', type: 'Keyword' },
  iteration: { name: 'AutocodeIteration', type: 'Int' },
  stage: { name: 'AutocodeStage', type: 'Keyword' },
  /** The schedule that started a nightly evaluation. */
  schedule: { name: 'AutocodeSchedule', type: 'Keyword' },
  /** Set on a nightly evaluation: true when a metric dropped beyond the schedule's threshold. */
  regression: { name: 'AutocodeRegression', type: 'Bool' },
} as const;

export const NAMESPACE = 'default';
